//! `writeRequest(reqDir, fields)`: a 被保険者証 query written into the terminal's `req/`, as
//! `kohi request` writes it (atomically and durably, in Shift_JIS by default), off the main thread.

use napi::bindgen_prelude::*;
use napi_derive::napi;

use kohi_core::Encoding;
use kohi_terminal::{QualificationRequest, RequestFields as CoreFields};

/// A 被保険者証 query (every property optional here; a missing one the request needs is
/// `invalid_request` naming it). Dates are `YYYYMMDD`, `YYYY-MM-DD` or
/// `YYYY/MM/DD` (full-width digits too).
#[napi(object)]
pub struct RequestFields {
    /// 医療機関コード (10 digits).
    pub medical_institution_code: Option<String>,
    /// 資格確認日 (default: today in Japan).
    pub qualification_confirmation_date: Option<String>,
    /// 保険者番号 (8 digits, or 6 for 国保).
    pub insurer_number: Option<String>,
    /// 被保険者証記号.
    pub insured_card_symbol: Option<String>,
    /// 被保険者証番号.
    pub insured_identification_number: Option<String>,
    /// 枝番 (2 digits).
    pub insured_branch_number: Option<String>,
    /// 生年月日.
    pub birthdate: Option<String>,
    /// Ask for 限度額適用認定証 information (default false).
    pub limit_application_consent: Option<bool>,
    /// 任意のファイル識別子, echoed in the result (pairs it with this request).
    pub arbitrary_file_identifier: Option<String>,
    /// The free part of the file name (default: one no other request of this process has had).
    pub free_part: Option<String>,
    /// The file's encoding (default `shift_jis`, as the terminal reads requests).
    #[napi(ts_type = "'shift_jis' | 'utf-8'")]
    pub encoding: Option<String>,
}

/// Writes the request off the main thread (the file and its folder are synced).
pub struct WriteRequest {
    dir: String,
    request: QualificationRequest,
    free_part: String,
    encoding: Encoding,
}

impl Task for WriteRequest {
    type Output = std::result::Result<std::path::PathBuf, kohi_core::Error>;
    type JsValue = String;

    fn compute(&mut self) -> Result<Self::Output> {
        Ok(self.request.write_to(std::path::Path::new(&self.dir), &self.free_part, self.encoding))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<String> {
        output.map(|path| path.to_string_lossy().into_owned()).map_err(|e| crate::kohi_error(&env, &e))
    }
}

/// Writes a 被保険者証 query `OQSsiquc01req_<freePart>.xml` into `reqDir` (the terminal's
/// `req/`); resolves to its path once it is on disk. Thrown at the call: a missing or malformed
/// field (`invalid_request`, naming it), a character the encoding cannot hold
/// (`unrepresentable_character`). Rejected: `res/`, `face/` or the terminal folder
/// (`not_a_terminal_folder`), a request of the same name already there (`io`, `EEXIST`).
#[napi(ts_return_type = "Promise<string>")]
pub fn write_request(env: Env, req_dir: String, fields: RequestFields) -> Result<AsyncTask<WriteRequest>> {
    let encoding = match fields.encoding.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None | Some("shift_jis" | "sjis" | "cp932") => Encoding::ShiftJis,
        Some("utf-8" | "utf8") => Encoding::Utf8,
        Some(_) => return Err(crate::kohi_error(&env, &kohi_core::Error::InvalidSetting { name: "encoding" })),
    };
    let consent = fields.limit_application_consent.map(|c| if c { "1" } else { "0" });
    let given = [
        fields.medical_institution_code.as_deref(),
        fields.qualification_confirmation_date.as_deref(),
        fields.insurer_number.as_deref(),
        fields.insured_card_symbol.as_deref(),
        fields.insured_identification_number.as_deref(),
        fields.insured_branch_number.as_deref(),
        fields.birthdate.as_deref(),
        consent,
        fields.arbitrary_file_identifier.as_deref(),
    ];
    let mut core = CoreFields::default();
    for (index, value) in given.into_iter().enumerate() {
        core.set_index(index, value).map_err(|e| crate::kohi_error(&env, &e))?;
    }
    let request = core.build().map_err(|e| crate::kohi_error(&env, &e))?;
    // Every field checked at the call, as written (a malformed number, a character Shift_JIS
    // cannot hold): the promise rejects only for the file system.
    request.to_xml(encoding).map_err(|e| crate::kohi_error(&env, &e))?;
    let free_part = fields.free_part.unwrap_or_else(kohi_terminal::fresh_free_part);
    Ok(AsyncTask::new(WriteRequest { dir: req_dir, request, free_part, encoding }))
}
