//! Code lists (別紙5-1 業務コード仕様, OQSCDnnn) as enums with their 日本語 label.
//!
//! Every list has an `Unknown(String)` arm: the spec grows, and a strict enum that throws on a
//! new value (as one peer does on 資格有効性 `6`) would lose a whole result. An unknown value is
//! kept and reported as an `unknown_code` warning. Lists whose labels are not in our reference
//! (`docs/DOMAIN.md` §2.4) carry their known values with no label rather than invented ones.

use serde::ser::{Serialize, SerializeStruct, Serializer};

/// Shared behaviour of every code list, so the parser can fill any of them the same way.
pub trait CodeList: Sized {
    /// The OQSCD number (or a descriptive name for lists outside 別紙5-1).
    const LIST: &'static str;
    /// The value for a code as sent (an unknown code becomes `Unknown`, kept as sent).
    fn from_code(code: &str) -> Self;
    /// The code as sent.
    fn code(&self) -> &str;
    /// The 日本語 label of a known code (`None` for an unknown one, or where our reference has none).
    fn label(&self) -> Option<&'static str>;
    /// Whether this version of kohi knows the code.
    fn is_known(&self) -> bool;
}

fn serialize_code<S: Serializer>(code: &str, label: Option<&'static str>, serializer: S) -> Result<S::Ok, S::Error> {
    let mut s = serializer.serialize_struct("Code", 2)?;
    s.serialize_field("code", code)?;
    s.serialize_field("label", &label.map(crate::text::StaticText))?;
    s.end()
}

macro_rules! code_list {
    ($(#[$meta:meta])* $name:ident, $list:literal { $($variant:ident = $code:literal => $label:expr),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $(#[doc = concat!("Code `", $code, "`.")] $variant,)+
            /// A value this version of kohi does not know; kept as sent.
            Unknown(String),
        }

        impl CodeList for $name {
            const LIST: &'static str = $list;
            fn from_code(code: &str) -> Self {
                match code {
                    $($code => Self::$variant,)+
                    other => Self::Unknown(other.to_owned()),
                }
            }
            fn code(&self) -> &str {
                match self {
                    $(Self::$variant => $code,)+
                    Self::Unknown(code) => code,
                }
            }
            fn label(&self) -> Option<&'static str> {
                match self {
                    $(Self::$variant => $label,)+
                    Self::Unknown(_) => None,
                }
            }
            fn is_known(&self) -> bool {
                !matches!(self, Self::Unknown(_))
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serialize_code(self.code(), self.label(), serializer)
            }
        }
    };
}

code_list!(
    /// OQSCD001 同意区分 (限度額, 医療費助成 consent).
    Consent, "OQSCD001" { NotAgreed = "0" => Some("未同意"), Agreed = "1" => Some("同意") }
);
code_list!(
    /// OQSCD002 照会区分.
    ReferenceClassification, "OQSCD002" {
        MyNumberCard = "1" => Some("マイナンバーカード"),
        InsuranceCard = "2" => Some("被保険者証情報"),
    }
);
code_list!(
    /// OQSCD003 処理結果区分.
    SegmentOfResult, "OQSCD003" {
        Completed = "1" => Some("正常終了"),
        InProgress = "2" => Some("処理中"),
        Failed = "9" => Some("異常終了"),
    }
);
code_list!(
    /// OQSCD004 処理結果状況.
    ProcessingResultStatus, "OQSCD004" { Completed = "1" => Some("正常終了"), Error = "2" => Some("エラー") }
);
code_list!(
    /// OQSCD005 文字コード識別.
    CharacterCode, "OQSCD005" { Utf8 = "0" => Some("UTF-8"), ShiftJis = "1" => Some("Shift_JIS") }
);
code_list!(
    /// OQSCD006 資格有効性.
    QualificationValidity, "OQSCD006" {
        Valid = "1" => Some("有効"),
        Invalid = "2" => Some("無効"),
        InvalidNewQualification = "3" => Some("無効（新しい資格あり）"),
        NoQualification = "4" => Some("該当資格なし"),
        MultipleMatches = "5" => Some("複数該当"),
        ValidUnregistered = "6" => Some("有効（未登録）"),
    }
);
code_list!(
    /// OQSCD007 性別.
    Sex, "OQSCD007" { Male = "1" => Some("男"), Female = "2" => Some("女"), NotSet = "3" => Some("未設定") }
);
code_list!(
    /// OQSCD008 資格喪失事由.
    ReasonOfLoss, "OQSCD008" {
        Death = "01" => Some("死亡"),
        PublicAssistance = "02" => Some("生活保護受給開始"),
        OtherInsurance = "03" => Some("医療保険等の資格取得"),
        Other = "99" => Some("その他"),
    }
);
code_list!(
    /// OQSCD009 本人・家族の別.
    PersonalFamilyClassification, "OQSCD009" { Insured = "1" => Some("本人"), Family = "2" => Some("家族") }
);
code_list!(
    /// OQSCD010 被保険者証区分. `A1` is 医療扶助: its numbers are 公費 numbers.
    InsuredCardClassification, "OQSCD010" {
        General = "01" => Some("一般"),
        Retired = "02" => Some("退職"),
        ShortTermGeneral = "03" => Some("短期(一般)"),
        ShortTermRetired = "04" => Some("短期(退職)"),
        Certificate = "05" => Some("資格証明書"),
        SpecialRetired = "06" => Some("特例退職"),
        SelfDefenseForces = "07" => Some("自衛官診療証"),
        MedicalAid = "A1" => Some("医療扶助"),
    }
);
code_list!(
    /// OQSCD011 限度額適用認定証区分.
    LimitCertificateClassification, "OQSCD011" {
        C01 = "01" => Some("限度額適用区分認定証"),
        C02 = "02" => Some("限度額適用・標準負担額減額認定証"),
        C03 = "03" => Some("標準負担額減額認定証"),
    }
);
code_list!(
    /// OQSCD012 限度額適用認定証適用区分 (A: under 70, B: 70 and over).
    LimitCertificateFlag, "OQSCD012" {
        A01 = "A01" => Some("ア"), A02 = "A02" => Some("イ"), A03 = "A03" => Some("ウ"),
        A04 = "A04" => Some("エ"), A05 = "A05" => Some("オ"), A06 = "A06" => Some("オ（境）"),
        B01 = "B01" => Some("現役並みⅢ"), B02 = "B02" => Some("現役並みⅡ"), B03 = "B03" => Some("現役並みⅠ"),
        B04 = "B04" => Some("一般"), B05 = "B05" => Some("低所得Ⅱ"), B06 = "B06" => Some("低所得Ⅰ"),
        B07 = "B07" => Some("低所得Ⅰ（老福）"), B08 = "B08" => Some("低所得Ⅰ（境）"),
        B09 = "B09" => Some("一般Ⅱ"), B10 = "B10" => Some("一般Ⅰ"),
    }
);
code_list!(
    /// OQSCD013 特定疾病区分.
    SpecificDiseaseCategory, "OQSCD013" {
        Dialysis = "1" => Some("人工透析を必要とする慢性腎不全"),
        Hemophilia = "2" => Some("先天性血液凝固因子障害（第VIII因子、第IX因子）"),
        Hiv = "3" => Some("血液凝固因子製剤の投与に起因するHIV感染症"),
    }
);
code_list!(
    /// OQSCD015 未就学区分.
    PreschoolClassification, "OQSCD015" { Preschool = "1" => Some("未就学該当") }
);
code_list!(
    /// OQSCD016 閲覧同意・特定疾病 同意区分.
    ViewingConsent, "OQSCD016" {
        No = "0" => Some("なし"),
        Yes = "1" => Some("あり"),
        Expired = "2" => Some("期限切れ"),
        Unobtainable = "3" => Some("取得困難"),
    }
);
code_list!(
    /// OQSCD017 処方箋発行形態.
    PrescriptionIssueSelect, "OQSCD017" { Electronic = "1" => Some("電子処方箋"), Paper = "2" => Some("紙") }
);
code_list!(
    /// OQSCD018 券種.
    TicketType, "OQSCD018" { MedicalTicket = "01" => Some("医療券"), DispensingTicket = "02" => Some("調剤券") }
);
code_list!(
    /// OQSCD019 診療種別.
    MedicalTreatmentType, "OQSCD019" {
        Inpatient = "01" => Some("入院"),
        Outpatient = "02" => Some("入院外"),
        Dental = "03" => Some("歯科"),
        Dispensing = "04" => Some("調剤"),
        HomeNursing = "05" => Some("訪問看護"),
    }
);
code_list!(
    /// OQSCD020 単独・併用の別.
    SingleOrCombinedUse, "OQSCD020" { Single = "01" => Some("単独"), Combined = "02" => Some("併用") }
);
code_list!(
    /// OQSCD026 指定医療機関一致フラグ.
    DesignatedInstitutionFlag, "OQSCD026" { Match = "0" => Some("一致"), Mismatch = "1" => Some("不一致") }
);
code_list!(
    /// 常に償還払い (PMH `isAlwaysReimbursement`, "0"/"1").
    AlwaysReimbursement, "PMH 常に償還払い (provisional)" { No = "0" => Some("対象外"), Yes = "1" => Some("常に償還払い") }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_and_unknown_codes() {
        let v = QualificationValidity::from_code("6");
        assert_eq!((v.code(), v.label(), v.is_known()), ("6", Some("有効（未登録）"), true));
        let v = QualificationValidity::from_code("7");
        assert_eq!((v.code(), v.label(), v.is_known()), ("7", None, false));
        assert_eq!(InsuredCardClassification::from_code("A1"), InsuredCardClassification::MedicalAid);
        assert_eq!(LimitCertificateFlag::from_code("B04").label(), Some("一般"));
        assert_eq!(LimitCertificateFlag::from_code("A06").label(), Some("オ（境）"));
        assert_eq!(LimitCertificateClassification::from_code("02").label(), Some("限度額適用・標準負担額減額認定証"));
        assert_eq!(LimitCertificateFlag::from_code("C01").label(), None);
        assert!(LimitCertificateFlag::from_code("B04").is_known());
    }

    #[test]
    fn serializes_as_code_and_label() {
        let json = serde_json::to_string(&SegmentOfResult::from_code("9")).unwrap();
        assert_eq!(json, r#"{"code":"9","label":"異常終了"}"#);
        let json = serde_json::to_string(&SegmentOfResult::from_code("3")).unwrap();
        assert_eq!(json, r#"{"code":"3","label":null}"#);
    }
}
