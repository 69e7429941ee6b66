//! `kohi.write_request`: a 被保険者証 query written into the terminal's `req/`, as `kohi request`
//! writes it (atomically and durably, in Shift_JIS by default).

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDate, PyString};

use kohi_core::Encoding;
use kohi_terminal::{REQUEST_FIELDS, RequestFields};

use crate::errors;

/// A field's value as the request takes it: a `str`, a `datetime.date` (as `YYYY-MM-DD`) or a
/// `bool` (the consent, as `1` or `0`).
fn field_text(py: Python<'_>, name: &str, value: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(text) = value.cast::<PyString>() {
        return Ok(crate::text_of(py, text)?.into_owned());
    }
    if value.is_instance_of::<pyo3::types::PyBool>() {
        return Ok(if value.is_truthy()? { "1" } else { "0" }.to_owned());
    }
    if value.cast::<PyDate>().is_ok() && !value.is_instance_of::<pyo3::types::PyDateTime>() {
        return value.call_method0("isoformat")?.extract();
    }
    Err(PyTypeError::new_err(format!(
        "{name} must be a str{}",
        if name.ends_with("date") { " or a datetime.date" } else { "" }
    )))
}

/// Writes a 被保険者証 query `OQSsiquc01req_<free_part>.xml` into `req_dir` (the terminal's
/// `req/`); returns its path once it is on disk. Fields are the request's names; dates are
/// `datetime.date` or `YYYYMMDD`/`YYYY-MM-DD`/`YYYY/MM/DD` (full-width digits too); the 資格確認日 defaults to today in Japan and
/// `free_part` to one no other request of this process has had.
#[pyfunction]
#[pyo3(signature = (req_dir, *, medical_institution_code, insurer_number, insured_identification_number, birthdate,
    qualification_confirmation_date=None, insured_card_symbol=None, insured_branch_number=None,
    limit_application_consent=false, arbitrary_file_identifier=None, free_part=None, encoding="shift_jis"))]
#[allow(clippy::too_many_arguments)]
pub fn write_request(
    py: Python<'_>,
    req_dir: &Bound<'_, PyAny>,
    medical_institution_code: &Bound<'_, PyAny>,
    insurer_number: &Bound<'_, PyAny>,
    insured_identification_number: &Bound<'_, PyAny>,
    birthdate: &Bound<'_, PyAny>,
    qualification_confirmation_date: Option<&Bound<'_, PyAny>>,
    insured_card_symbol: Option<&Bound<'_, PyAny>>,
    insured_branch_number: Option<&Bound<'_, PyAny>>,
    limit_application_consent: bool,
    arbitrary_file_identifier: Option<&Bound<'_, PyAny>>,
    free_part: Option<String>,
    encoding: &str,
) -> PyResult<String> {
    let dir = crate::path_of(req_dir)?;
    let encoding = match encoding.to_ascii_lowercase().as_str() {
        "shift_jis" | "sjis" | "cp932" => Encoding::ShiftJis,
        "utf-8" | "utf8" => Encoding::Utf8,
        _ => return Err(PyValueError::new_err("encoding must be 'shift_jis' or 'utf-8'")),
    };
    let consent = limit_application_consent.into_pyobject(py)?.to_owned().into_any();
    let given = [
        Some(medical_institution_code),
        qualification_confirmation_date,
        Some(insurer_number),
        insured_card_symbol,
        Some(insured_identification_number),
        insured_branch_number,
        Some(birthdate),
        Some(&consent),
        arbitrary_file_identifier,
    ];
    let mut fields = RequestFields::default();
    for (index, (name, value)) in REQUEST_FIELDS.iter().zip(given).enumerate() {
        let text = value.filter(|v| !v.is_none()).map(|v| field_text(py, name, v)).transpose()?;
        fields.set_index(index, text.as_deref()).map_err(|e| errors::to_py(py, &e))?;
    }
    let request = fields.build().map_err(|e| errors::to_py(py, &e))?;
    let free = free_part.unwrap_or_else(kohi_terminal::fresh_free_part);
    let written = py.detach(|| request.write_to(&dir, &free, encoding));
    let path = written.map_err(|e| errors::to_py(py, &e))?;
    Ok(path.to_string_lossy().into_owned())
}
