//! 法別番号: the national programs, their order on the レセプト, and the insurance ones.
//! Data only, so that the mapping, the number checks and the survey share one copy.

/// National 法別番号 and their programs (docs/DOMAIN.md §5.1). 62 is in the ordering list; it is most
/// likely 特定B型肝炎ウイルス感染者給付金等の支給に関する特別措置法, but no primary source at hand
/// confirms it, and a wrong program name on a reception screen is worse than none: it stays
/// national (its order is known) without a name until one does.
pub const NATIONAL_PROGRAMS: &[(&str, Option<&str>)] = &[
    ("10", Some("感染症法 結核患者の適正医療")),
    ("11", Some("感染症法 結核患者の入院")),
    ("12", Some("生活保護法 医療扶助")),
    ("13", Some("戦傷病者特別援護法 療養の給付")),
    ("14", Some("戦傷病者特別援護法 更生医療")),
    ("15", Some("障害者総合支援法 自立支援医療（更生医療）")),
    ("16", Some("障害者総合支援法 自立支援医療（育成医療）")),
    ("17", Some("児童福祉法 療育の給付")),
    ("18", Some("原爆被爆者援護法 認定疾病医療")),
    ("19", Some("原爆被爆者援護法 一般疾病医療")),
    ("20", Some("精神保健福祉法 措置入院")),
    ("21", Some("障害者総合支援法 自立支援医療（精神通院医療）")),
    ("22", Some("麻薬及び向精神薬取締法 入院措置")),
    ("23", Some("母子保健法 養育医療")),
    ("24", Some("障害者総合支援法 療養介護医療")),
    ("25", Some("中国残留邦人等支援法 医療支援給付")),
    ("28", Some("感染症法 一類・二類・指定感染症 入院")),
    ("29", Some("感染症法 新感染症 入院")),
    ("30", Some("心神喪失者等医療観察法")),
    ("38", Some("肝炎治療特別促進事業")),
    ("51", Some("特定疾患治療研究事業")),
    ("52", Some("児童福祉法 小児慢性特定疾病医療支援")),
    ("53", Some("児童福祉法 措置等に係る医療")),
    ("54", Some("難病法 特定医療（指定難病）")),
    ("62", None),
    ("66", Some("石綿健康被害救済法")),
    ("79", Some("児童福祉法 肢体不自由児通所医療・障害児入所医療")),
];

/// 記載要領 order of national programs (as implemented by myclinic-ts, docs/DOMAIN.md §5.2).
pub const RECEIPT_ORDER: &[&str] = &[
    "13", "14", "18", "29", "30", "10", "11", "20", "21", "15", "16", "24", "22", "28", "17", "79", "19", "23", "52",
    "54", "51", "38", "53", "66", "62", "25", "12",
];

/// 法別 of 保険者番号 (insurance, not 公費): a number with one of these is not a 公費負担者番号.
pub const INSURANCE_LAWS: &[&str] =
    &["01", "02", "03", "04", "06", "07", "31", "32", "33", "34", "39", "63", "67", "72", "73", "74", "75"];

/// The program of a national 法別: `Some(name)` (or `Some(None)` for 62), `None` when local.
pub(crate) fn national_program(law: &str) -> Option<Option<&'static str>> {
    NATIONAL_PROGRAMS.iter().find(|(l, _)| *l == law).map(|(_, p)| *p)
}
