/*
 * The C ABI from real C: every fixture against its golden, getters in UTF-8 and CP932,
 * negative fixtures, bad arguments, threads. Run with the fixtures directory:
 *     test_kohi fixtures
 * Prints "N passed, N failed"; exits 1 on any failure.
 */
#define _POSIX_C_SOURCE 200809L
#include "kohi.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int passed, failed;
static const char *fixtures;

#define CHECK(cond, ...)                                    \
    do {                                                    \
        if (cond) {                                         \
            passed++;                                       \
        } else {                                            \
            failed++;                                       \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
            fprintf(stderr, __VA_ARGS__);                   \
            fputc('\n', stderr);                            \
        }                                                   \
    } while (0)

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    size_t got = fread(buf, 1, (size_t)n, f);
    fclose(f);
    buf[got] = '\0';
    if (len) *len = got;
    return buf;
}

static char *path_of(const char *name) {
    size_t n = strlen(fixtures) + strlen(name) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", fixtures, name);
    return p;
}

/* Removes whitespace outside strings: a golden is pretty-printed in the contract's key order. */
static char *minify(const char *json) {
    char *out = malloc(strlen(json) + 1), *o = out;
    int in_string = 0, escaped = 0;
    for (const char *c = json; *c; c++) {
        if (in_string) {
            *o++ = *c;
            if (escaped) escaped = 0;
            else if (*c == '\\') escaped = 1;
            else if (*c == '"') in_string = 0;
        } else if (*c == '"') {
            in_string = 1;
            *o++ = *c;
        } else if (*c != ' ' && *c != '\n' && *c != '\r' && *c != '\t') {
            *o++ = *c;
        }
    }
    *o = '\0';
    return out;
}

static int str_eq(kohi_str s, const char *want) {
    if (want == NULL) return s.ptr == NULL && s.len == 0;
    return s.ptr != NULL && s.len == strlen(want) && memcmp(s.ptr, want, s.len) == 0 && s.ptr[s.len] == '\0';
}

static kohi_result *parse_fixture(const char *name, const kohi_options *opts) {
    char *path = path_of(name);
    kohi_result *r = NULL;
    kohi_error *err = NULL;
    kohi_status st = kohi_parse_file(path, opts, &r, &err);
    CHECK(st == KOHI_STATUS_OK, "parse %s: status %u", name, (unsigned)st);
    if (err) kohi_error_free(err);
    free(path);
    return r;
}

/* ---- golden contract ------------------------------------------------------------------ */

static void check_golden(const char *xml_name) {
    char *xml_path = path_of(xml_name);
    size_t stem = strlen(xml_path) - 4;
    char *golden_path = malloc(stem + sizeof ".expected.json");
    memcpy(golden_path, xml_path, stem);
    strcpy(golden_path + stem, ".expected.json");
    char *golden = read_file(golden_path, NULL);
    CHECK(golden != NULL, "%s: no golden", xml_name);
    if (!golden) goto done;
    char *want = minify(golden);

    kohi_result *r = NULL;
    kohi_error *err = NULL;
    kohi_status st = kohi_parse_file(xml_path, NULL, &r, &err);
    if (strncmp(want, "{\"error\":", 9) == 0) {
        /* Negative fixture: the status is the golden's "number", the message its "message". */
        const char *num = strstr(want, "\"number\":");
        unsigned expected = num ? (unsigned)strtoul(num + 9, NULL, 10) : 0;
        CHECK(st == expected && r == NULL, "%s: status %u, want %u", xml_name, (unsigned)st, expected);
        CHECK(err != NULL && kohi_error_code(err) == st, "%s: error object", xml_name);
        const char *msg = strstr(want, "\"message\":\"");
        if (err && msg) {
            msg += 11;
            size_t n = (size_t)(strchr(msg, '"') - msg);
            kohi_str m = kohi_error_message(err);
            CHECK(m.len == n && memcmp(m.ptr, msg, n) == 0, "%s: message %.*s", xml_name, (int)m.len, m.ptr);
        }
        /* The same bytes from memory give the same status. */
        size_t len;
        char *bytes = read_file(xml_path, &len);
        kohi_result *r2 = NULL;
        CHECK(kohi_parse((const uint8_t *)bytes, len, NULL, &r2, NULL) == st && r2 == NULL, "%s: memory", xml_name);
        free(bytes);
    } else {
        CHECK(st == KOHI_STATUS_OK, "%s: status %u", xml_name, (unsigned)st);
        char *json = NULL;
        if (r && kohi_result_to_json(r, &json) == KOHI_STATUS_OK) {
            CHECK(strcmp(json, want) == 0, "%s: JSON differs from its golden", xml_name);
            kohi_string_free(json);
        } else {
            CHECK(0, "%s: no JSON", xml_name);
        }
        /* Each patient alone is its part of the golden: "patients":[p0,p1,…]. */
        size_t count = 0;
        if (r) kohi_patient_count(r, &count);
        size_t cap = strlen(want) + 32, used = 0;
        char *part = malloc(cap);
        used += (size_t)snprintf(part, cap, "\"patients\":[");
        for (size_t i = 0; i < count; i++) {
            char *one = NULL;
            CHECK(kohi_patient_to_json(r, i, &one) == KOHI_STATUS_OK && one, "%s: patient %zu JSON", xml_name, i);
            if (one && used + strlen(one) + 3 < cap) used += (size_t)snprintf(part + used, cap - used, "%s%s", i ? "," : "", one);
            kohi_string_free(one);
        }
        snprintf(part + used, cap - used, "]");
        CHECK(strstr(want, part) != NULL, "%s: the patients' JSON is not their part of the golden", xml_name);
        free(part);
        if (r) {
            char *none = (char *)"untouched";
            CHECK(kohi_patient_to_json(r, count, &none) == KOHI_STATUS_OUT_OF_RANGE && strcmp(none, "untouched") == 0,
                  "%s: past the patients: out of range, *out untouched", xml_name);
        }
    }
    kohi_result_free(r);
    kohi_error_free(err);
    free(want);
    free(golden);
done:
    free(golden_path);
    free(xml_path);
}

static void test_goldens(void) {
    DIR *dir = opendir(fixtures);
    CHECK(dir != NULL, "cannot open %s", fixtures);
    if (!dir) return;
    int count = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n > 4 && strcmp(e->d_name + n - 4, ".xml") == 0) {
            check_golden(e->d_name);
            count++;
        }
    }
    closedir(dir);
    CHECK(count >= 20, "only %d fixtures", count);
}

/* ---- getters ---------------------------------------------------------------------------- */

static kohi_str kohi_field(const kohi_result *r, size_t i, uint32_t field) {
    kohi_str s = {NULL, 0};
    kohi_status st = kohi_kohi_get(r, 0, i, field, &s);
    CHECK(st == KOHI_STATUS_OK, "kohi_kohi_get(%zu, %u): %u", i, (unsigned)field, (unsigned)st);
    return s;
}

static uint32_t slot_of(const kohi_result *r, size_t i) {
    uint32_t slot = 99;
    CHECK(kohi_kohi_slot(r, 0, i, &slot) == KOHI_STATUS_OK, "slot");
    return slot;
}

static int32_t flag_of(const kohi_result *r, size_t i, uint32_t flag) {
    int32_t v = 99;
    CHECK(kohi_kohi_get_flag(r, 0, i, flag, &v) == KOHI_STATUS_OK, "flag");
    return v;
}

static void test_pmh_getters(kohi_string_encoding encoding) {
    kohi_options *opts = kohi_options_new();
    CHECK(kohi_options_set_string_encoding(opts, encoding) == KOHI_STATUS_OK, "encoding");
    kohi_result *r = parse_fixture("pmh_three_out_of_order.xml", opts);
    if (!r) goto done;
    size_t n = 0;
    kohi_str s;
    CHECK(kohi_patient_count(r, &n) == KOHI_STATUS_OK && n == 1, "patients %zu", n);
    CHECK(kohi_kohi_count(r, 0, &n) == KOHI_STATUS_OK && n == 3, "kohi %zu", n);
    CHECK(kohi_patient_get(r, 0, KOHI_PATIENT_FIELD_PMH, &s) == KOHI_STATUS_OK && str_eq(s, "received"), "pmh");

    /* Given 88, 54, 21: 第1 21, 第2 54, 第3 88 (記載要領 order, local last). */
    CHECK(slot_of(r, 0) == 1 && slot_of(r, 1) == 2 && slot_of(r, 2) == 3, "slots");
    CHECK(str_eq(kohi_field(r, 0, KOHI_KOHI_FIELD_LAW_NUMBER), "21"), "law 1");
    CHECK(str_eq(kohi_field(r, 0, KOHI_KOHI_FIELD_PAYER_NUMBER), "21136015"), "payer 1");
    CHECK(str_eq(kohi_field(r, 0, KOHI_KOHI_FIELD_RECIPIENT_NUMBER), "3000015"), "recipient 1");
    CHECK(str_eq(kohi_field(r, 0, KOHI_KOHI_FIELD_VALID_FROM), "2025-06-01"), "from 1");
    CHECK(str_eq(kohi_field(r, 0, KOHI_KOHI_FIELD_VALID_TO), "2026-05-31"), "to 1");
    CHECK(str_eq(kohi_field(r, 0, KOHI_KOHI_FIELD_MAX_COPAYMENT), "5000"), "cap 1");
    CHECK(str_eq(kohi_field(r, 0, KOHI_KOHI_FIELD_SCOPE), "national"), "scope 1");
    CHECK(str_eq(kohi_field(r, 0, KOHI_KOHI_FIELD_SOURCE), "pmh"), "source 1");
    CHECK(flag_of(r, 0, KOHI_KOHI_FLAG_PAYER_NUMBER_VALID) == KOHI_TRISTATE_TRUE, "payer valid");
    CHECK(flag_of(r, 0, KOHI_KOHI_FLAG_RECIPIENT_NUMBER_VALID) == KOHI_TRISTATE_TRUE, "recipient valid");
    CHECK(flag_of(r, 0, KOHI_KOHI_FLAG_ALWAYS_REIMBURSEMENT) == KOHI_TRISTATE_FALSE, "reimbursement");
    CHECK(str_eq(kohi_field(r, 1, KOHI_KOHI_FIELD_PAYER_NUMBER), "54136015"), "payer 2");
    CHECK(str_eq(kohi_field(r, 1, KOHI_KOHI_FIELD_MAX_COPAYMENT), NULL), "cap 2 is children only");
    CHECK(str_eq(kohi_field(r, 2, KOHI_KOHI_FIELD_PAYER_NUMBER), "88131016"), "payer 3");
    CHECK(str_eq(kohi_field(r, 2, KOHI_KOHI_FIELD_RECIPIENT_NUMBER), "K000067890"), "recipient 3");
    CHECK(str_eq(kohi_field(r, 2, KOHI_KOHI_FIELD_SCOPE), "local"), "scope 3");
    CHECK(str_eq(kohi_field(r, 2, KOHI_KOHI_FIELD_PROGRAM), NULL), "no program for local");
    CHECK(flag_of(r, 2, KOHI_KOHI_FLAG_RECIPIENT_NUMBER_VALID) == KOHI_TRISTATE_NULL, "no verdict for local");
    if (encoding == KOHI_STRING_ENCODING_UTF8) {
        CHECK(str_eq(kohi_field(r, 2, KOHI_KOHI_FIELD_CERTIFICATE_NAME), "ひとり親家庭等医療証"), "name utf8");
        CHECK(str_eq(kohi_field(r, 1, KOHI_KOHI_FIELD_PROGRAM), "難病法 特定医療（指定難病）"), "program utf8");
    } else {
        CHECK(str_eq(kohi_field(r, 2, KOHI_KOHI_FIELD_CERTIFICATE_NAME),
                     "\x82\xd0\x82\xc6\x82\xe8\x90\x65\x89\xc6\x92\xeb\x93\x99\x88\xe3\x97\xc3\x8f\xd8"),
              "name cp932");
        CHECK(str_eq(kohi_field(r, 1, KOHI_KOHI_FIELD_PROGRAM),
                     "\x93\xef\x95\x61\x96\x40\x20\x93\xc1\x92\xe8\x88\xe3\x97\xc3\x81\x69\x8e\x77\x92\xe8\x93\xef\x95\x61\x81\x6a"),
              "program cp932");
    }
    /* JSON stays UTF-8 whatever the getter encoding. */
    char *json = NULL;
    CHECK(kohi_result_to_json(r, &json) == KOHI_STATUS_OK && strstr(json, "ひとり親家庭等医療証") != NULL, "json utf8");
    kohi_string_free(json);

    CHECK(kohi_qualification_count(r, 0, &n) == KOHI_STATUS_OK && n == 1, "qualifications");
    CHECK(kohi_qualification_get(r, 0, 0, KOHI_QUALIFICATION_FIELD_INSURER_NUMBER, &s) == KOHI_STATUS_OK &&
              str_eq(s, "06270003"), "insurer");
    CHECK(kohi_qualification_get(r, 0, 0, KOHI_QUALIFICATION_FIELD_INSURED_CARD_CLASSIFICATION, &s) == KOHI_STATUS_OK &&
              str_eq(s, "01"), "classification");
    CHECK(kohi_qualification_get(r, 0, 0, KOHI_QUALIFICATION_FIELD_DISQUALIFICATION_DATE, &s) == KOHI_STATUS_OK &&
              str_eq(s, NULL), "absent is NULL");
    CHECK(kohi_header_get(r, KOHI_HEADER_FIELD_SEGMENT_OF_RESULT, &s) == KOHI_STATUS_OK && str_eq(s, "1"), "segment");
    CHECK(kohi_header_get(r, KOHI_HEADER_FIELD_ENCODING, &s) == KOHI_STATUS_OK && str_eq(s, "UTF-8"), "encoding");
    CHECK(kohi_header_get(r, KOHI_HEADER_FIELD_QUALIFICATION_CONFIRMATION_DATE, &s) == KOHI_STATUS_OK &&
              str_eq(s, "2025-11-10"), "date");

    /* Out of range and bad fields. */
    CHECK(kohi_kohi_get(r, 0, 3, KOHI_KOHI_FIELD_LAW_NUMBER, &s) == KOHI_STATUS_OUT_OF_RANGE, "kohi index");
    CHECK(kohi_kohi_get(r, 1, 0, KOHI_KOHI_FIELD_LAW_NUMBER, &s) == KOHI_STATUS_OUT_OF_RANGE, "patient index");
    CHECK(kohi_kohi_get(r, 0, 0, 999, &s) == KOHI_STATUS_INVALID_ARGUMENT, "field");
    CHECK(kohi_kohi_get_flag(r, 0, 0, 999, &(int32_t){0}) == KOHI_STATUS_INVALID_ARGUMENT, "flag");
    CHECK(kohi_qualification_get(r, 0, 1, 0, &s) == KOHI_STATUS_OUT_OF_RANGE, "qualification index");
    CHECK(kohi_warning_get(r, 0, 0, &s) == KOHI_STATUS_OUT_OF_RANGE, "warning index");
    CHECK(kohi_unknown_get(r, 0, 0, &s) == KOHI_STATUS_OUT_OF_RANGE, "unknown index");
    CHECK(kohi_header_get(r, 999, &s) == KOHI_STATUS_INVALID_ARGUMENT, "header field");
    kohi_result_free(r);
done:
    kohi_options_free(opts);
}

static void test_medical_aid_getters(kohi_string_encoding encoding) {
    kohi_options *opts = kohi_options_new();
    kohi_options_set_string_encoding(opts, encoding);
    kohi_result *r = parse_fixture("medical_aid_a1.xml", opts);
    if (r) {
        CHECK(slot_of(r, 0) == 1, "slot");
        CHECK(str_eq(kohi_field(r, 0, KOHI_KOHI_FIELD_SOURCE), "medical_aid"), "source");
        CHECK(str_eq(kohi_field(r, 0, KOHI_KOHI_FIELD_LAW_NUMBER), "12"), "law");
        CHECK(str_eq(kohi_field(r, 0, KOHI_KOHI_FIELD_PAYER_NUMBER), "12136016"), "payer");
        CHECK(str_eq(kohi_field(r, 0, KOHI_KOHI_FIELD_RECIPIENT_NUMBER), "7654320"), "recipient");
        CHECK(str_eq(kohi_field(r, 0, KOHI_KOHI_FIELD_VALID_FROM), "2025-12-01"), "from");
        CHECK(str_eq(kohi_field(r, 0, KOHI_KOHI_FIELD_VALID_TO), "2025-12-31"), "to");
        const char *office = encoding == KOHI_STRING_ENCODING_UTF8
                                 ? "新宿区福祉事務所"
                                 : "\x90\x56\x8f\x68\x8b\xe6\x95\x9f\x8e\x83\x8e\x96\x96\xb1\x8f\x8a";
        CHECK(str_eq(kohi_field(r, 0, KOHI_KOHI_FIELD_WELFARE_OFFICE_NAME), office), "office");
        kohi_result_free(r);
    }
    kohi_options_free(opts);
}

/* A renewal: both certificates listed; the one valid on the confirmation date has the slot. */
static void test_renewal(void) {
    kohi_result *r = parse_fixture("pmh_renewal.xml", NULL);
    if (!r) return;
    size_t n = 0;
    CHECK(kohi_kohi_count(r, 0, &n) == KOHI_STATUS_OK && n == 3, "three entries");
    CHECK(str_eq(kohi_field(r, 0, KOHI_KOHI_FIELD_RENEWAL), "current") && slot_of(r, 0) == 1, "current");
    CHECK(str_eq(kohi_field(r, 1, KOHI_KOHI_FIELD_RENEWAL), NULL) && slot_of(r, 1) == 2, "88 is no renewal");
    CHECK(str_eq(kohi_field(r, 2, KOHI_KOHI_FIELD_RENEWAL), "not_yet_valid") && slot_of(r, 2) == 0, "renewal");
    CHECK(str_eq(kohi_field(r, 2, KOHI_KOHI_FIELD_MAX_COPAYMENT), "10000"), "its cap");
    kohi_result_free(r);
}

static void test_warnings_and_unknown(void) {
    kohi_result *r = parse_fixture("wrong_check_digit.xml", NULL);
    size_t n = 0;
    kohi_str s;
    if (r) {
        CHECK(kohi_warning_count(r, &n) == KOHI_STATUS_OK && n == 4, "warnings %zu", n);
        CHECK(kohi_warning_get(r, 0, KOHI_WARNING_FIELD_CODE, &s) == KOHI_STATUS_OK && str_eq(s, "insurer_check_digit"), "w0");
        CHECK(kohi_warning_get(r, 1, KOHI_WARNING_FIELD_CODE, &s) == KOHI_STATUS_OK && str_eq(s, "payer_check_digit"), "w1");
        CHECK(flag_of(r, 0, KOHI_KOHI_FLAG_PAYER_NUMBER_VALID) == KOHI_TRISTATE_FALSE, "payer invalid");
        kohi_result_free(r);
    }
    r = parse_fixture("unknown_element_and_code.xml", NULL);
    if (r) {
        CHECK(kohi_unknown_count(r, &n) == KOHI_STATUS_OK && n == 5, "unknown %zu", n);
        CHECK(kohi_unknown_get(r, 0, KOHI_UNKNOWN_FIELD_PATH, &s) == KOHI_STATUS_OK &&
                  str_eq(s, "XmlMsg/MessageHeader/SystemVersion"), "unknown path");
        CHECK(kohi_unknown_get(r, 0, KOHI_UNKNOWN_FIELD_TEXT, &s) == KOHI_STATUS_OK && str_eq(s, "9.01"), "unknown text");
        kohi_result_free(r);
    }
    r = parse_fixture("bulk_three_units.xml", NULL);
    if (r) {
        CHECK(kohi_patient_count(r, &n) == KOHI_STATUS_OK && n == 3, "bulk patients");
        CHECK(kohi_patient_get(r, 2, KOHI_PATIENT_FIELD_REFERENCE_NUMBER, &s) == KOHI_STATUS_OK && str_eq(s, "1003"), "ref");
        CHECK(kohi_patient_get(r, 1, KOHI_PATIENT_FIELD_QUALIFICATION_VALIDITY, &s) == KOHI_STATUS_OK && str_eq(s, "4"), "4");
        CHECK(kohi_kohi_count(r, 1, &n) == KOHI_STATUS_OK && n == 0, "no kohi");
        kohi_result_free(r);
    }
}

static void test_unrepresentable(void) {
    /* 𠮷 (U+20BB7) has no CP932 form: that field reports it; the others still read. */
    const char *xml =
        "<XmlMsg><MessageBody><ResultList><ResultOfQualificationConfirmation>"
        "<Name>\xf0\xa0\xae\xb7野　太郎</Name><InsurerNumber>01130012</InsurerNumber><InsurerName>見本〜組合</InsurerName>"
        "</ResultOfQualificationConfirmation></ResultList></MessageBody></XmlMsg>";
    kohi_options *opts = kohi_options_new();
    kohi_options_set_string_encoding(opts, KOHI_STRING_ENCODING_CP932);
    kohi_result *r = NULL;
    CHECK(kohi_parse((const uint8_t *)xml, strlen(xml), opts, &r, NULL) == KOHI_STATUS_OK, "parse");
    kohi_str s = {(const char *)1, 99};
    CHECK(kohi_qualification_get(r, 0, 0, KOHI_QUALIFICATION_FIELD_NAME, &s) == KOHI_STATUS_UNREPRESENTABLE, "name");
    CHECK(s.ptr == (const char *)1 && s.len == 99, "output untouched on failure");
    CHECK(kohi_qualification_get(r, 0, 0, KOHI_QUALIFICATION_FIELD_INSURER_NUMBER, &s) == KOHI_STATUS_OK &&
              str_eq(s, "01130012"), "insurer");
    /* WAVE DASH (as a Mac or a JIS-minded tool writes it) reaches CP932 as 81 60, never "&#12316;". */
    CHECK(kohi_qualification_get(r, 0, 0, KOHI_QUALIFICATION_FIELD_INSURER_NAME, &s) == KOHI_STATUS_OK &&
              str_eq(s, "\x8c\xa9\x96\x7b\x81\x60\x91\x67\x8d\x87"), "wave dash");
    kohi_result_free(r);
    kohi_options_free(opts);
}

/* ---- arguments, options, errors --------------------------------------------------------- */

static void test_arguments(void) {
    kohi_result *sentinel = (kohi_result *)&passed, *r = sentinel;
    kohi_error *err = NULL;
    CHECK(kohi_parse(NULL, 5, NULL, &r, &err) == KOHI_STATUS_NULL_ARGUMENT && r == sentinel, "NULL data");
    CHECK(err && kohi_error_code(err) == KOHI_STATUS_NULL_ARGUMENT, "error object for NULL");
    CHECK(err && str_eq(kohi_error_name(err), "null_argument"), "error name");
    kohi_error_free(err);
    err = NULL;
    CHECK(kohi_parse((const uint8_t *)"x", 1, NULL, NULL, &err) == KOHI_STATUS_NULL_ARGUMENT, "NULL out");
    kohi_error_free(err);
    CHECK(kohi_parse(NULL, 0, NULL, &r, NULL) == KOHI_STATUS_MALFORMED_XML && r == sentinel, "empty input");
    CHECK(kohi_parse_file(NULL, NULL, &r, NULL) == KOHI_STATUS_NULL_ARGUMENT, "NULL path");
    CHECK(kohi_parse_file("\xff\xfe.xml", NULL, &r, NULL) == KOHI_STATUS_INVALID_ARGUMENT, "non-UTF-8 path");
    CHECK(kohi_parse_file("/no/such/file.xml", NULL, &r, NULL) == KOHI_STATUS_IO && r == sentinel, "missing file");

    size_t n;
    kohi_str s;
    CHECK(kohi_patient_count(NULL, &n) == KOHI_STATUS_NULL_ARGUMENT, "NULL result");
    CHECK(kohi_kohi_get(NULL, 0, 0, 0, &s) == KOHI_STATUS_NULL_ARGUMENT, "NULL result get");
    CHECK(kohi_header_get(NULL, 0, &s) == KOHI_STATUS_NULL_ARGUMENT, "NULL result header");
    CHECK(kohi_result_to_json(NULL, &(char *){NULL}) == KOHI_STATUS_NULL_ARGUMENT, "NULL result json");
    kohi_result *ok = parse_fixture("face_pmh_two.xml", NULL);
    CHECK(kohi_patient_count(ok, NULL) == KOHI_STATUS_NULL_ARGUMENT, "NULL out count");
    CHECK(kohi_kohi_get(ok, 0, 0, 0, NULL) == KOHI_STATUS_NULL_ARGUMENT, "NULL out get");
    CHECK(kohi_result_to_json(ok, NULL) == KOHI_STATUS_NULL_ARGUMENT, "NULL out json");
    CHECK(kohi_error_code(NULL) == KOHI_STATUS_NULL_ARGUMENT, "NULL error");
    CHECK(str_eq(kohi_error_message(NULL), NULL), "NULL error message");
    kohi_result_free(NULL);
    kohi_error_free(NULL);
    kohi_options_free(NULL);
    kohi_string_free(NULL);

    /* Options. */
    kohi_options *opts = kohi_options_new();
    err = NULL;
    CHECK(kohi_options_set_aliases_json(opts, "{\"NoSuchElement\": [\"X\"]}", &err) == KOHI_STATUS_INVALID_ALIAS_TABLE, "bad aliases");
    CHECK(err && kohi_error_code(err) == KOHI_STATUS_INVALID_ALIAS_TABLE, "alias error object");
    kohi_error_free(err);
    CHECK(kohi_options_set_aliases_json(opts, "\xff", NULL) == KOHI_STATUS_INVALID_ARGUMENT, "non-UTF-8 aliases");
    CHECK(kohi_options_set_aliases_json(NULL, "{}", NULL) == KOHI_STATUS_NULL_ARGUMENT, "NULL options");
    CHECK(kohi_options_set_string_encoding(opts, 7) == KOHI_STATUS_INVALID_ARGUMENT, "bad encoding");
    CHECK(kohi_options_set_max_input_bytes(opts, 100) == KOHI_STATUS_OK, "limit");
    r = sentinel;
    char *face = path_of("face_pmh_two.xml");
    CHECK(kohi_parse_file(face, opts, &r, NULL) == KOHI_STATUS_INPUT_TOO_LARGE && r == sentinel, "too large");
    free(face);
    kohi_options_free(opts);

    /* Aliases fix a renamed element at run time. */
    const char *renamed =
        "<XmlMsg><MessageBody><ResultList><ResultOfQualificationConfirmation><MedicalSubsidyCertificateList>"
        "<MedicalSubsidyCertificateInfo><PayerNo>54136015</PayerNo></MedicalSubsidyCertificateInfo>"
        "</MedicalSubsidyCertificateList></ResultOfQualificationConfirmation></ResultList></MessageBody></XmlMsg>";
    opts = kohi_options_new();
    CHECK(kohi_options_set_aliases_json(opts, "{\"MedicalSubsidyInsurerNumber\": [\"PayerNo\"]}", NULL) == KOHI_STATUS_OK, "aliases");
    r = NULL;
    CHECK(kohi_parse((const uint8_t *)renamed, strlen(renamed), opts, &r, NULL) == KOHI_STATUS_OK, "parse renamed");
    if (r) {
        CHECK(str_eq(kohi_field(r, 0, KOHI_KOHI_FIELD_PAYER_NUMBER), "54136015"), "alias mapped");
        kohi_result_free(r);
    }
    /* A layout file set after the aliases keeps them (it used to replace them without a word),
       and its own names apply too; so do aliases set after a layout. */
    const char *both =
        "<PmhMsg><MessageBody><ResultList><ResultOfQualificationConfirmation><MedicalSubsidyCertificateList>"
        "<MedicalSubsidyCertificateInfo><PayerNo>54136015</PayerNo></MedicalSubsidyCertificateInfo>"
        "</MedicalSubsidyCertificateList></ResultOfQualificationConfirmation></ResultList></MessageBody></PmhMsg>";
    CHECK(kohi_options_set_layout_json(opts, "{\"roots\": [\"PmhMsg\"]}", NULL) == KOHI_STATUS_OK, "layout after aliases");
    kohi_options *reversed = kohi_options_new();
    CHECK(kohi_options_set_layout_json(reversed, "{\"roots\": [\"PmhMsg\"]}", NULL) == KOHI_STATUS_OK, "layout first");
    CHECK(kohi_options_set_aliases_json(reversed, "{\"MedicalSubsidyInsurerNumber\": [\"PayerNo\"]}", NULL) == KOHI_STATUS_OK,
          "aliases after layout");
    kohi_options *orders[] = {opts, reversed};
    for (int i = 0; i < 2; i++) {
        r = NULL;
        CHECK(kohi_parse((const uint8_t *)both, strlen(both), orders[i], &r, NULL) == KOHI_STATUS_OK, "parse with both (%d)", i);
        if (r) {
            CHECK(str_eq(kohi_field(r, 0, KOHI_KOHI_FIELD_PAYER_NUMBER), "54136015"), "alias and layout both apply (%d)", i);
            kohi_result_free(r);
        }
    }
    kohi_options_free(reversed);
    kohi_options_free(opts);

    /* Reconcile. */
    char *json = NULL;
    const char *stored =
        "[{\"payer_number\":\"52136017\",\"recipient_number\":\"1234566\",\"valid_from\":\"2025-04-01\","
        "\"valid_to\":\"2026-03-31\",\"income_segment\":\"一般Ⅰ\",\"max_copayment\":\"5000\"}]";
    CHECK(kohi_reconcile_json(stored, ok, 0, "2025-06-04", &json) == KOHI_STATUS_OK, "reconcile");
    CHECK(json && strstr(json, "{\"change\":\"unchanged\",\"stored\":0") == json + 1, "unchanged first: %s", json);
    CHECK(json && strstr(json, "\"change\":\"added\"") != NULL, "local added");
    kohi_string_free(json);
    json = (char *)sentinel;
    CHECK(kohi_reconcile_json(stored, ok, 0, "2025/06/04", &json) == KOHI_STATUS_INVALID_ARGUMENT, "bad date");
    CHECK(kohi_reconcile_json("[{}]", ok, 0, "2025-06-04", &json) == KOHI_STATUS_INVALID_STORED_RECORD, "bad stored");
    CHECK(kohi_reconcile_json(stored, ok, 1, "2025-06-04", &json) == KOHI_STATUS_OUT_OF_RANGE, "patient");
    CHECK(kohi_reconcile_json(NULL, ok, 0, "2025-06-04", &json) == KOHI_STATUS_NULL_ARGUMENT, "NULL stored");
    CHECK(json == (char *)sentinel, "output untouched on failure");
    kohi_result_free(ok);
}

static void test_numbers_and_version(void) {
    int32_t valid = -5;
    CHECK(kohi_check_number(KOHI_NUMBER_KIND_INSURER, "33120015", &valid) == KOHI_STATUS_OK && valid == 1, "33120015");
    CHECK(kohi_check_number(KOHI_NUMBER_KIND_PAYER, "54016027", &valid) == KOHI_STATUS_OK && valid == 1, "54016027");
    CHECK(kohi_check_number(KOHI_NUMBER_KIND_INSURER, "  138057", &valid) == KOHI_STATUS_OK && valid == 1, "138057");
    CHECK(kohi_check_number(KOHI_NUMBER_KIND_RECIPIENT, "1234566", &valid) == KOHI_STATUS_OK && valid == 1, "1234566");
    CHECK(kohi_check_number(KOHI_NUMBER_KIND_INSURER, "06139993", &valid) == KOHI_STATUS_OK && valid == 0, "06139993");
    CHECK(kohi_check_number(9, "1", &valid) == KOHI_STATUS_INVALID_ARGUMENT, "kind");
    CHECK(kohi_check_number(KOHI_NUMBER_KIND_PAYER, NULL, &valid) == KOHI_STATUS_NULL_ARGUMENT, "NULL number");
    CHECK(kohi_check_number(KOHI_NUMBER_KIND_PAYER, "1", NULL) == KOHI_STATUS_NULL_ARGUMENT, "NULL out");

    char want[32];
    snprintf(want, sizeof want, "%d.%d.%d", KOHI_VERSION_MAJOR, KOHI_VERSION_MINOR, KOHI_VERSION_PATCH);
    CHECK(strcmp(kohi_version(), want) == 0, "version %s vs %s", kohi_version(), want);
    CHECK(str_eq(kohi_status_name(KOHI_STATUS_MALFORMED_XML), "malformed_xml"), "status name");
    CHECK(str_eq(kohi_status_name(12345), "unknown"), "unknown status");
}

/* ---- threads ---------------------------------------------------------------------------- */

struct shared {
    const kohi_result *result;
    const char *golden;
    int ok;
};

static void *parse_in_thread(void *arg) {
    struct shared *s = arg;
    char *path = path_of("face_pmh_two.xml");
    s->ok = 1;
    for (int i = 0; i < 20; i++) {
        kohi_result *r = NULL;
        char *json = NULL;
        if (kohi_parse_file(path, NULL, &r, NULL) != KOHI_STATUS_OK || kohi_result_to_json(r, &json) != KOHI_STATUS_OK ||
            strcmp(json, s->golden) != 0)
            s->ok = 0;
        kohi_string_free(json);
        kohi_result_free(r);
    }
    free(path);
    return NULL;
}

static void *read_in_thread(void *arg) {
    struct shared *s = arg;
    s->ok = 1;
    for (int i = 0; i < 200; i++) {
        kohi_str payer;
        if (kohi_kohi_get(s->result, 0, 0, KOHI_KOHI_FIELD_PAYER_NUMBER, &payer) != KOHI_STATUS_OK ||
            !str_eq(payer, "52136017"))
            s->ok = 0;
    }
    return NULL;
}

static void test_threads(void) {
    char *golden_path = path_of("face_pmh_two.expected.json");
    char *golden = read_file(golden_path, NULL);
    char *want = minify(golden);
    kohi_result *shared_result = parse_fixture("face_pmh_two.xml", NULL);
    enum { THREADS = 8 };
    pthread_t threads[THREADS];
    struct shared state[THREADS];
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < THREADS; i++) {
            state[i] = (struct shared){shared_result, want, 0};
            pthread_create(&threads[i], NULL, round == 0 ? parse_in_thread : read_in_thread, &state[i]);
        }
        for (int i = 0; i < THREADS; i++) {
            pthread_join(threads[i], NULL);
            CHECK(state[i].ok, "thread %d round %d", i, round);
        }
    }
    kohi_result_free(shared_result);
    free(want);
    free(golden);
    free(golden_path);
}

/* ---- the terminal watcher ------------------------------------------------------------- */

static void write_bytes(const char *path, const char *bytes, size_t len) {
    FILE *f = fopen(path, "wb");
    fwrite(bytes, 1, len, f);
    fclose(f);
}

static kohi_watch_event *next_event(kohi_watcher *w, int attempts) {
    kohi_watch_event *e = NULL;
    for (int i = 0; i < attempts && e == NULL; i++) {
        CHECK(kohi_watcher_next(w, 200, &e) == KOHI_STATUS_OK, "next");
    }
    return e;
}

static void *cancel_later(void *watcher) {
    struct timespec pause = {0, 150 * 1000 * 1000};
    nanosleep(&pause, NULL);
    kohi_watcher_cancel((const kohi_watcher *)watcher);
    return NULL;
}

static void test_watcher(void) {
    char root[] = "/tmp/kohi-c-watch-XXXXXX";
    CHECK(mkdtemp(root) != NULL, "mkdtemp");
    char face[256], res[256], file[300], broken[300], command[400];
    snprintf(face, sizeof face, "%s/face", root);
    snprintf(res, sizeof res, "%s/res", root);
    mkdir(face, 0700);
    mkdir(res, 0700);
    size_t len;
    char *fixture_path = path_of("face_pmh_two.xml");
    char *bytes = read_file(fixture_path, &len);
    for (int i = 0; i < 10; i++) {
        snprintf(file, sizeof file, "%s/OQSsiquc01res_face_a_%d.xml", face, i);
        write_bytes(file, bytes, len);
    }

    /* The early stop of the issue: one event taken, the watcher freed without acknowledging. */
    kohi_watcher *w = NULL;
    CHECK(kohi_watcher_new(root, NULL, 50, 500, &w, NULL) == KOHI_STATUS_OK && w, "watcher");
    kohi_watcher *second = NULL;
    kohi_error *err = NULL;
    CHECK(kohi_watcher_new(root, NULL, 50, 500, &second, &err) == KOHI_STATUS_ALREADY_WATCHED && second == NULL,
          "a second watcher is refused");
    CHECK(err && kohi_error_code(err) == KOHI_STATUS_ALREADY_WATCHED, "with its error");
    kohi_error_free(err);
    /* Registered in this run, paired in the next: the registration is in the ledger. */
    char request_path[300];
    snprintf(request_path, sizeof request_path, "%s/req/custom-request.xml", root);
    CHECK(kohi_watcher_expect(w, "Qm9ndXNJZGVudGlmaWVy", request_path, NULL) == KOHI_STATUS_OK, "expect");
    CHECK(kohi_watcher_expect(NULL, "x", "y", NULL) == KOHI_STATUS_NULL_ARGUMENT, "expect: NULL watcher");
    CHECK(kohi_watcher_expect(w, "\xff", "y", &err) == KOHI_STATUS_INVALID_ARGUMENT && err &&
              kohi_error_code(err) == KOHI_STATUS_INVALID_ARGUMENT,
          "expect: an id that is not UTF-8, with its error");
    kohi_error_free(err);
    err = NULL;
    kohi_watch_event *e = next_event(w, 25);
    CHECK(e != NULL, "an event");
    char first_id[100] = "", first_path[300] = "";
    if (e) {
        uint32_t kind = 99;
        kohi_str path, id;
        CHECK(kohi_watch_event_kind(e, &kind) == KOHI_STATUS_OK && kind == KOHI_WATCH_KIND_FACE, "kind %u", kind);
        CHECK(kohi_watch_event_path(e, &path) == KOHI_STATUS_OK && strstr(path.ptr, "/face/OQSsiquc01res_face_a_"), "path");
        CHECK(kohi_watch_event_id(e, &id) == KOHI_STATUS_OK && id.len == 64 + 1 + 16, "id");
        snprintf(first_id, sizeof first_id, "%s", id.ptr);
        snprintf(first_path, sizeof first_path, "%s", path.ptr);
        const kohi_result *r = kohi_watch_event_result(e);
        CHECK(r != NULL && kohi_watch_event_error(e) == NULL, "parsed");
        char *json = NULL, *golden_path = path_of("face_pmh_two.expected.json");
        char *golden = read_file(golden_path, NULL), *want = minify(golden);
        CHECK(r && kohi_result_to_json(r, &json) == KOHI_STATUS_OK && strcmp(json, want) == 0, "event JSON = golden");
        kohi_string_free(json);
        free(want);
        free(golden);
        free(golden_path);
        kohi_watch_event_free(e);
    }
    kohi_watcher_free(w);

    /* The next watcher delivers all ten again (the first with the same id); acknowledge them. */
    w = NULL;
    CHECK(kohi_watcher_new(root, NULL, 50, 500, &w, NULL) == KOHI_STATUS_OK, "watcher again");
    int delivered = 0, same_id = 0;
    while ((e = next_event(w, 5)) != NULL) {
        kohi_str path, id;
        kohi_watch_event_path(e, &path);
        kohi_watch_event_id(e, &id);
        if (strcmp(path.ptr, first_path) == 0) same_id = strcmp(id.ptr, first_id) == 0;
        kohi_str paired;
        CHECK(kohi_watch_event_request(e, &paired) == KOHI_STATUS_OK && paired.ptr &&
                  strcmp(paired.ptr, request_path) == 0,
              "paired by the ArbitraryFileIdentifier registered before the restart");
        CHECK(kohi_watcher_ack(w, e, NULL) == KOHI_STATUS_OK, "ack");
        CHECK(kohi_watcher_ack(w, e, NULL) == KOHI_STATUS_OK, "a second ack is harmless");
        kohi_watch_event_free(e);
        delivered++;
    }
    CHECK(delivered == 10, "all ten after the early stop: %d", delivered);
    CHECK(same_id, "the repeat carries the same id");

    /* A file that never parses arrives with its error. */
    snprintf(broken, sizeof broken, "%s/OQSsiquc01res_0001.xml", res);
    write_bytes(broken, "<XmlMsg><MessageBody>", 21);
    e = next_event(w, 25);
    CHECK(e && kohi_watch_event_result(e) == NULL && kohi_error_code(kohi_watch_event_error(e)) == KOHI_STATUS_MALFORMED_XML, "broken");
    kohi_str request;
    CHECK(e && kohi_watch_event_request(e, &request) == KOHI_STATUS_OK && request.ptr &&
              strstr(request.ptr, "/req/OQSsiquc01req_0001.xml") != NULL, "paired by name");
    CHECK(e && kohi_watcher_ack(w, e, NULL) == KOHI_STATUS_OK, "ack the failure");
    kohi_watch_event_free(e);

    /* A zipped bulk result: every entry listed, the XML one parsed (the zip is made by Python's
       zipfile under a temporary name, then renamed). */
    char *bulk_relative = path_of("bulk_three_units.xml"), zip_command[2000], cwd[600], bulk_path[1400];
    CHECK(getcwd(cwd, sizeof cwd) != NULL, "cwd");
    snprintf(bulk_path, sizeof bulk_path, "%s/%s", bulk_relative[0] == '/' ? "" : cwd, bulk_relative);
    free(bulk_relative);
    snprintf(zip_command, sizeof zip_command,
             "cd '%s' && python3 -c \"import zipfile, os; z = zipfile.ZipFile('.b.tmp', 'w'); "
             "z.write('%s', 'OQSmuquc02res_1.xml'); z.writestr('note.txt', 'x'); z.close(); "
             "os.rename('.b.tmp', 'OQSmuquc02res_1.zip')\"",
             res, bulk_path);
    CHECK(system(zip_command) == 0, "zip");
    e = next_event(w, 25);
    uint32_t archive_kind = 99;
    size_t entries = 0;
    CHECK(e && kohi_watch_event_kind(e, &archive_kind) == KOHI_STATUS_OK && archive_kind == KOHI_WATCH_KIND_BULK_ARCHIVE,
          "bulk archive");
    CHECK(e && kohi_watch_event_entry_count(e, &entries) == KOHI_STATUS_OK && entries == 2, "two entries");
    kohi_str entry_name;
    CHECK(e && kohi_watch_event_entry_name(e, 0, &entry_name) == KOHI_STATUS_OK && str_eq(entry_name, "OQSmuquc02res_1.xml"),
          "entry name");
    const kohi_result *entry_result = e ? kohi_watch_event_entry_result(e, 0) : NULL;
    size_t patients = 0;
    CHECK(entry_result && kohi_patient_count(entry_result, &patients) == KOHI_STATUS_OK && patients == 3, "entry parsed");
    CHECK(e && kohi_watch_event_entry_result(e, 1) == NULL && kohi_watch_event_entry_error(e, 1) != NULL, "note.txt");
    CHECK(e && kohi_watch_event_entry_name(e, 2, &entry_name) == KOHI_STATUS_OUT_OF_RANGE, "past the end");
    CHECK(e && kohi_watch_event_entry_result(e, 2) == NULL && kohi_watch_event_entry_error(e, 2) == NULL, "past the end");
    CHECK(e && kohi_watcher_ack(w, e, NULL) == KOHI_STATUS_OK, "ack the archive");
    kohi_watch_event_free(e);

    /* Another thread wakes a blocked next. */
    pthread_t canceller;
    pthread_create(&canceller, NULL, cancel_later, w);
    e = NULL;
    CHECK(kohi_watcher_next(w, 60000, &e) == KOHI_STATUS_CANCELLED && e == NULL, "cancelled");
    pthread_join(canceller, NULL);
    CHECK(kohi_watcher_next(w, 60000, &e) == KOHI_STATUS_CANCELLED, "stays cancelled");
    kohi_watcher_free(w);

    /* A restart delivers nothing again: everything was acknowledged. */
    w = NULL;
    CHECK(kohi_watcher_new(root, NULL, 50, 500, &w, NULL) == KOHI_STATUS_OK, "watcher again");
    kohi_str recovered;
    CHECK(kohi_watcher_recovered_store(w, &recovered) == KOHI_STATUS_OK && recovered.ptr == NULL, "no recovery");
    e = NULL;
    CHECK(kohi_watcher_next(w, 400, &e) == KOHI_STATUS_OK && e == NULL, "nothing after restart");
    /* A file that does not parse: NULL from next while it waits for give_up_after, but waiting. */
    size_t waiting = 99;
    CHECK(kohi_watcher_waiting(w, &waiting) == KOHI_STATUS_OK && waiting == 0, "drained");
    char unparsed[300];
    snprintf(unparsed, sizeof unparsed, "%s/OQSsiquc01res_unparsed.xml", res);
    FILE *bf = fopen(unparsed, "wb");
    CHECK(bf && fputs("<XmlMsg><MessageBody>", bf) >= 0 && fclose(bf) == 0, "broken file");
    CHECK(kohi_watcher_next(w, 200, &e) == KOHI_STATUS_OK && e == NULL, "not yet given up on");
    CHECK(kohi_watcher_waiting(w, &waiting) == KOHI_STATUS_OK && waiting == 1, "one waiting");
    e = next_event(w, 25);
    CHECK(e && kohi_watch_event_error(e) != NULL, "delivered with its error");
    CHECK(e && kohi_watcher_ack(w, e, NULL) == KOHI_STATUS_OK, "ack the broken file");
    kohi_watch_event_free(e);
    CHECK(kohi_watcher_waiting(w, &waiting) == KOHI_STATUS_OK && waiting == 0, "drained again");
    CHECK(kohi_watcher_waiting(NULL, &waiting) == KOHI_STATUS_NULL_ARGUMENT, "NULL watcher");
    CHECK(kohi_watcher_waiting(w, NULL) == KOHI_STATUS_NULL_ARGUMENT, "NULL out");
    kohi_watcher_free(w);

    CHECK(kohi_watcher_new(NULL, NULL, 0, 0, &w, NULL) == KOHI_STATUS_NULL_ARGUMENT, "NULL root");
    CHECK(kohi_watcher_next(NULL, 0, &e) == KOHI_STATUS_NULL_ARGUMENT, "NULL watcher");
    CHECK(kohi_watcher_ack(NULL, NULL, NULL) == KOHI_STATUS_NULL_ARGUMENT, "NULL ack");
    kohi_watcher_cancel(NULL);
    kohi_watcher_free(NULL);
    kohi_watch_event_free(NULL);

    snprintf(command, sizeof command, "rm -rf '%s'", root);
    CHECK(system(command) == 0, "cleanup");
    free(bytes);
    free(fixture_path);
}

/* ---- streaming ------------------------------------------------------------------------ */

static void test_stream(void) {
    /* Every patient of the bulk fixture, one at a time, equals the whole-file parse. */
    char *file = path_of("bulk_three_units.xml");
    kohi_result *whole = NULL;
    CHECK(kohi_parse_file(file, NULL, &whole, NULL) == KOHI_STATUS_OK, "whole");
    kohi_stream *stream = NULL;
    CHECK(kohi_stream_open(file, NULL, &stream, NULL) == KOHI_STATUS_OK && stream, "open");
    size_t seen = 0;
    for (;;) {
        kohi_result *one = NULL;
        CHECK(kohi_stream_next(stream, &one, NULL) == KOHI_STATUS_OK, "next");
        if (!one) break;
        kohi_str a, b;
        size_t n = 0;
        CHECK(kohi_patient_count(one, &n) == KOHI_STATUS_OK && n == 1, "one patient");
        CHECK(kohi_patient_get(one, 0, KOHI_PATIENT_FIELD_REFERENCE_NUMBER, &a) == KOHI_STATUS_OK &&
                  kohi_patient_get(whole, seen, KOHI_PATIENT_FIELD_REFERENCE_NUMBER, &b) == KOHI_STATUS_OK &&
                  a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0, "same patient");
        size_t ka = 0, kb = 0;
        kohi_kohi_count(one, 0, &ka);
        kohi_kohi_count(whole, seen, &kb);
        CHECK(ka == kb, "same kohi");
        kohi_result_free(one);
        seen++;
    }
    CHECK(seen == 3, "three units streamed");
    kohi_result *after = (kohi_result *)&passed;
    CHECK(kohi_stream_next(stream, &after, NULL) == KOHI_STATUS_OK && after == NULL, "stays at the end");
    kohi_stream_free(stream);
    kohi_result_free(whole);
    free(file);

    char *bad = path_of("error_truncated.xml");
    stream = NULL;
    CHECK(kohi_stream_open(bad, NULL, &stream, NULL) == KOHI_STATUS_OK, "open truncated");
    kohi_result *none = NULL;
    kohi_error *err = NULL;
    CHECK(kohi_stream_next(stream, &none, &err) == KOHI_STATUS_MALFORMED_XML && !none, "truncated");
    kohi_error_free(err);
    kohi_stream_free(stream);
    free(bad);
    CHECK(kohi_stream_open("/no/such.xml", NULL, &stream, NULL) == KOHI_STATUS_IO, "missing");
    /* A FIFO is refused before it is opened (opening it would block until a writer came). */
    char fifo[] = "/tmp/kohi-c-fifo-XXXXXX";
    CHECK(mkdtemp(fifo) != NULL, "mkdtemp");
    char fifo_path[300], rm[400];
    snprintf(fifo_path, sizeof fifo_path, "%s/OQSsiquc01res_fifo.xml", fifo);
    CHECK(mkfifo(fifo_path, 0600) == 0, "mkfifo");
    stream = NULL;
    CHECK(kohi_stream_open(fifo_path, NULL, &stream, NULL) == KOHI_STATUS_IO && !stream, "FIFO refused");
    snprintf(rm, sizeof rm, "rm -rf '%s'", fifo);
    CHECK(system(rm) == 0, "cleanup");
    CHECK(kohi_stream_next(NULL, &none, NULL) == KOHI_STATUS_NULL_ARGUMENT, "NULL stream");
    kohi_stream_free(NULL);
}

/* A stream of the fixture `name`, opened (or NULL, counted as a failure). */
static kohi_stream *open_fixture_stream(const char *name) {
    char *file = path_of(name);
    kohi_stream *stream = NULL;
    CHECK(kohi_stream_open(file, NULL, &stream, NULL) == KOHI_STATUS_OK && stream, "open %s", name);
    free(file);
    return stream;
}

/* Streams `name` to its end; the number of patients, and each one's warning count in `warned`. */
static size_t stream_to_end(kohi_stream *stream, size_t *warned) {
    size_t seen = 0;
    for (;;) {
        kohi_result *one = NULL;
        CHECK(kohi_stream_next(stream, &one, NULL) == KOHI_STATUS_OK, "next");
        if (!one) return seen;
        size_t n = 0;
        CHECK(kohi_warning_count(one, &n) == KOHI_STATUS_OK, "warning count");
        if (warned) warned[seen < 8 ? seen : 7] = n;
        kohi_result_free(one);
        seen++;
    }
}

/* What a stream's file said besides its patients: a failed request's header (no patient carries
 * it), a bulk file's status, as the whole-file parse gives them; a single result's warnings go
 * with its one patient. Before kohi_stream_remainder, a stream could not give any of them. */
static void test_stream_remainder(void) {
    kohi_stream *stream = open_fixture_stream("header_error.xml");
    CHECK(stream_to_end(stream, NULL) == 0, "a failed request has no patient");
    kohi_result *rest = NULL;
    CHECK(kohi_stream_remainder(stream, &rest) == KOHI_STATUS_OK && rest, "remainder");
    kohi_str s;
    CHECK(kohi_header_get(rest, KOHI_HEADER_FIELD_ERROR_CODE, &s) == KOHI_STATUS_OK && str_eq(s, "PLACEHOLDER-CODE"),
          "the error code");
    CHECK(kohi_header_get(rest, KOHI_HEADER_FIELD_SEGMENT_OF_RESULT, &s) == KOHI_STATUS_OK && str_eq(s, "9"), "segment");
    CHECK(kohi_header_get(rest, KOHI_HEADER_FIELD_BULK_RECEPTION_NUMBER, &s) == KOHI_STATUS_OK && s.ptr == NULL,
          "a single result has no bulk status");
    CHECK(kohi_header_get(rest, KOHI_HEADER_FIELD_BULK_QUALIFICATION_VALIDITY + 1, &s) == KOHI_STATUS_INVALID_ARGUMENT,
          "past the last header field");
    kohi_stream_free(stream);
    /* The remainder is the caller's: it outlives its stream, and is the whole parse's JSON. */
    char *json = NULL, *golden_path = path_of("header_error.expected.json");
    char *golden = read_file(golden_path, NULL), *want = golden ? minify(golden) : NULL;
    CHECK(kohi_result_to_json(rest, &json) == KOHI_STATUS_OK && want && strcmp(json, want) == 0, "remainder JSON");
    kohi_string_free(json);
    kohi_result_free(rest);
    free(want);
    free(golden);
    free(golden_path);

    stream = open_fixture_stream("bulk_three_units.xml");
    rest = (kohi_result *)&passed;
    CHECK(kohi_stream_remainder(stream, &rest) == KOHI_STATUS_OK && rest == NULL, "none before the end");
    CHECK(stream_to_end(stream, NULL) == 3, "three units");
    CHECK(kohi_stream_remainder(stream, &rest) == KOHI_STATUS_OK && rest, "bulk remainder");
    size_t n = 9;
    CHECK(kohi_patient_count(rest, &n) == KOHI_STATUS_OK && n == 0, "no patients in it");
    CHECK(kohi_result_to_json(rest, &json) == KOHI_STATUS_OK && strstr(json, "\"reception_number\":\"R202511160001\""),
          "the bulk status");
    kohi_string_free(json);
    /* The bulk file's status has getters of its own, as the header's fields do. */
    CHECK(kohi_header_get(rest, KOHI_HEADER_FIELD_BULK_RECEPTION_NUMBER, &s) == KOHI_STATUS_OK &&
              str_eq(s, "R202511160001"), "bulk: reception number");
    CHECK(kohi_header_get(rest, KOHI_HEADER_FIELD_BULK_PROCESSING_RESULT_STATUS, &s) == KOHI_STATUS_OK && str_eq(s, "1"),
          "bulk: processing result status");
    CHECK(kohi_header_get(rest, KOHI_HEADER_FIELD_BULK_PROCESSING_RESULT_CODE, &s) == KOHI_STATUS_OK && s.ptr == NULL &&
              s.len == 0, "bulk: an absent code");
    kohi_result_free(rest);
    kohi_stream_free(stream);

    kohi_result *whole = parse_fixture("wrong_check_digit.xml", NULL);
    size_t wanted = 0, warned[8] = {0};
    CHECK(kohi_warning_count(whole, &wanted) == KOHI_STATUS_OK && wanted == 4, "whole: four warnings");
    stream = open_fixture_stream("wrong_check_digit.xml");
    CHECK(stream_to_end(stream, warned) == 1 && warned[0] == wanted, "the patient's warnings: %zu", warned[0]);
    kohi_stream_free(stream);
    kohi_result_free(whole);

    stream = open_fixture_stream("error_truncated.xml");
    kohi_result *none = NULL;
    kohi_error *err = NULL;
    CHECK(kohi_stream_next(stream, &none, &err) == KOHI_STATUS_MALFORMED_XML, "truncated");
    kohi_error_free(err);
    rest = (kohi_result *)&passed;
    CHECK(kohi_stream_remainder(stream, &rest) == KOHI_STATUS_OK && rest == NULL, "none after an error");
    CHECK(kohi_stream_remainder(NULL, &rest) == KOHI_STATUS_NULL_ARGUMENT, "NULL stream");
    CHECK(kohi_stream_remainder(stream, NULL) == KOHI_STATUS_NULL_ARGUMENT, "NULL out");
    kohi_stream_free(stream);

    /* A file past the size limit is refused when it is opened, before any patient. */
    kohi_options *small = kohi_options_new();
    CHECK(kohi_options_set_max_input_bytes(small, 1000) == KOHI_STATUS_OK, "limit");
    char *bulk = path_of("bulk_three_units.xml");
    stream = (kohi_stream *)&passed;
    kohi_error *too_large = NULL;
    CHECK(kohi_stream_open(bulk, small, &stream, &too_large) == KOHI_STATUS_INPUT_TOO_LARGE &&
              stream == (kohi_stream *)&passed && kohi_error_code(too_large) == KOHI_STATUS_INPUT_TOO_LARGE,
          "a file past the limit is refused at open, *out untouched");
    kohi_error_free(too_large);
    kohi_options_free(small);
    free(bulk);
}

/* A document of PMH data of its own (the layout's prefix) arrives as KOHI_WATCH_KIND_PMH,
 * paired with the result of the same name's free part. */
static void watch_pmh_document(const char *pair_by) {
    char root[] = "/tmp/kohi-c-pmh-XXXXXX";
    CHECK(mkdtemp(root) != NULL, "mkdtemp");
    char res[256], file[300], command[400];
    snprintf(res, sizeof res, "%s/res", root);
    mkdir(res, 0700);
    kohi_options *opts = kohi_options_new();
    CHECK(kohi_options_set_layout_json(opts, "{\"file_prefixes\": [\"PMHsimsm\"], \"roots\": [\"PmhMsg\"]}", NULL) ==
              KOHI_STATUS_OK, "layout");
    if (pair_by) CHECK(kohi_options_set_pair_by(opts, pair_by, NULL) == KOHI_STATUS_OK, "pair_by %s", pair_by);
    int pairs = !pair_by || strstr(pair_by, "free_name") != NULL;
    kohi_watcher *w = NULL;
    CHECK(kohi_watcher_new(root, opts, 50, 500, &w, NULL) == KOHI_STATUS_OK && w, "watcher");
    const char *names[] = {"OQSsiquc01res_0042.xml", "PMHsimsm01res_0042.xml"};
    const char *fixtures_of[] = {"insured_card_utf8.xml", "pmh_document.xml"};
    for (int i = 0; i < 2; i++) {
        size_t len;
        char *fixture_path = path_of(fixtures_of[i]);
        char *bytes = read_file(fixture_path, &len);
        snprintf(file, sizeof file, "%s/%s", res, names[i]);
        write_bytes(file, bytes, len);
        free(bytes);
        free(fixture_path);
        kohi_watch_event *e = next_event(w, 25);
        CHECK(e != NULL, "event %d", i);
        if (!e) continue;
        uint32_t kind = 99;
        kohi_str related = {0};
        kohi_watch_event_kind(e, &kind);
        CHECK(kind == (i == 0 ? KOHI_WATCH_KIND_RESULT : KOHI_WATCH_KIND_PMH), "kind %u", kind);
        CHECK(kohi_watch_event_related(e, &related) == KOHI_STATUS_OK, "related");
        if (i == 0) CHECK(related.ptr == NULL, "nothing to pair with yet");
        else if (pairs) CHECK(related.ptr && strstr(related.ptr, "/res/OQSsiquc01res_0042.xml"), "paired with the result");
        else CHECK(related.ptr == NULL, "pairing is off (%s)", pair_by);
        CHECK(kohi_watcher_ack(w, e, NULL) == KOHI_STATUS_OK, "ack");
        kohi_watch_event_free(e);
    }
    kohi_watcher_free(w);
    kohi_options_free(opts);
    snprintf(command, sizeof command, "rm -rf '%s'", root);
    CHECK(system(command) == 0, "cleanup");
}

/* The default pairing rules, only the one that pairs these two files, and none; an unknown
 * rule name is refused, typed, and leaves the options as they were. */
static void test_watch_pmh_document(void) {
    watch_pmh_document(NULL);
    watch_pmh_document("free_name");
    watch_pmh_document("none");
    kohi_options *opts = kohi_options_new();
    kohi_error *err = NULL;
    CHECK(kohi_options_set_pair_by(opts, "free_name,by_guess", &err) == KOHI_STATUS_INVALID_SETTING && err,
          "unknown rule");
    kohi_str code = {0};
    CHECK(err && kohi_error_name_out(err, &code) == KOHI_STATUS_OK && str_eq(code, "invalid_setting"), "typed");
    kohi_error_free(err);
    CHECK(kohi_options_set_pair_by(NULL, "none", NULL) == KOHI_STATUS_NULL_ARGUMENT, "NULL options");
    CHECK(kohi_options_set_pair_by(opts, NULL, NULL) == KOHI_STATUS_NULL_ARGUMENT, "NULL rules");
    kohi_options_free(opts);
}

/* Callers that cannot take a struct by value or a UTF-8 path (Delphi, VB, .NET Framework). */
static void test_legacy_callers(void) {
    kohi_str name = {0};
    CHECK(kohi_status_name_out(KOHI_STATUS_INVALID_LAYOUT, &name) == KOHI_STATUS_OK && str_eq(name, "invalid_layout"),
          "status name out");
    CHECK(kohi_status_name_out(1, NULL) == KOHI_STATUS_NULL_ARGUMENT, "NULL out");
    kohi_result *r = NULL;
    kohi_error *err = NULL;
    CHECK(kohi_parse((const uint8_t *)"<nope", 5, NULL, &r, &err) == KOHI_STATUS_MALFORMED_XML && err, "an error");
    kohi_str code = {0}, message = {0};
    CHECK(kohi_error_name_out(err, &code) == KOHI_STATUS_OK && str_eq(code, "malformed_xml"), "error name out");
    CHECK(kohi_error_message_out(err, &message) == KOHI_STATUS_OK && message.len > 0 &&
              strstr(message.ptr, "malformed XML") != NULL, "error message out");
    CHECK(kohi_error_name_out(NULL, &code) == KOHI_STATUS_NULL_ARGUMENT, "NULL error");
    kohi_error_free(err);

    /* A Japanese file name, as UTF-16 and as CP932. */
    char dir[] = "/tmp/kohi-c-paths-XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    size_t len;
    char *fixture_path = path_of("face_pmh_two.xml");
    char *bytes = read_file(fixture_path, &len);
    char utf8_path[300], command[400];
    snprintf(utf8_path, sizeof utf8_path, "%s/\xe5\x85\xac\xe8\xb2\xbb.xml", dir); /* 公費.xml */
    write_bytes(utf8_path, bytes, len);
    uint16_t utf16_path[300];
    size_t n = 0;
    for (const char *c = dir; *c; c++) utf16_path[n++] = (uint16_t)(unsigned char)*c;
    const uint16_t tail[] = {'/', 0x516c, 0x8cbb, '.', 'x', 'm', 'l', 0};
    for (size_t i = 0; i < sizeof tail / sizeof tail[0]; i++) utf16_path[n++] = tail[i];
    r = NULL;
    CHECK(kohi_parse_file_utf16(utf16_path, NULL, &r, NULL) == KOHI_STATUS_OK && r, "UTF-16 path");
    kohi_str payer = {0};
    CHECK(r && kohi_kohi_get(r, 0, 0, KOHI_KOHI_FIELD_PAYER_NUMBER, &payer) == KOHI_STATUS_OK && str_eq(payer, "52136017"),
          "read through the UTF-16 path");
    kohi_result_free(r);
    char cp932_path[300];
    snprintf(cp932_path, sizeof cp932_path, "%s/\x8c\xf6\x94\xef.xml", dir);
    r = NULL;
    CHECK(kohi_parse_file_cp932(cp932_path, NULL, &r, NULL) == KOHI_STATUS_OK && r, "CP932 path");
    kohi_result_free(r);
    const uint16_t lone_surrogate[] = {'/', 0xD800, 0};
    err = NULL;
    CHECK(kohi_parse_file_utf16(lone_surrogate, NULL, &r, &err) == KOHI_STATUS_INVALID_ARGUMENT && err, "a lone surrogate");
    kohi_error_free(err);
    CHECK(kohi_parse_file_cp932("\x81", NULL, &r, NULL) == KOHI_STATUS_INVALID_ARGUMENT, "bytes that are not CP932");
    /* An I/O error carries the OS error number, and its message names the file. */
    err = NULL;
    CHECK(kohi_parse_file("/nonexistent/kohi.xml", NULL, &r, &err) == KOHI_STATUS_IO && err, "missing file");
    int32_t os_code = -1;
    CHECK(kohi_error_os_code(err, &os_code) == KOHI_STATUS_OK && os_code == 2, "ENOENT: %d", os_code);
    kohi_str io_message = {0};
    CHECK(kohi_error_message_out(err, &io_message) == KOHI_STATUS_OK && strstr(io_message.ptr, "/nonexistent/kohi.xml"),
          "the message names the file");
    kohi_error_free(err);
    CHECK(kohi_parse_file_utf16(NULL, NULL, &r, NULL) == KOHI_STATUS_NULL_ARGUMENT, "NULL path");
    free(bytes);
    free(fixture_path);
    snprintf(command, sizeof command, "rm -rf '%s'", dir);
    CHECK(system(command) == 0, "cleanup");
}

/* The path at the first real file: survey, take the proposed layout, parse with it. */
static void test_survey_and_layout(void) {
    char *path = path_of("pmh_wrapped.xml");
    const char *paths[] = {path};
    char *json = NULL;
    CHECK(kohi_survey_files_json(paths, 1, NULL, &json) == KOHI_STATUS_OK && json != NULL, "survey");
    /* "layout" is the last member of the survey object. */
    char *layout = json ? strstr(json, "\"layout\":") : NULL;
    CHECK(layout != NULL, "survey has a layout");
    if (layout) {
        layout += strlen("\"layout\":");
        layout[strlen(layout) - 1] = '\0';
        CHECK(strstr(json, "52136017") == NULL, "survey output holds no value from the file");
        kohi_options *opts = kohi_options_new();
        kohi_error *err = NULL;
        CHECK(kohi_options_set_layout_json(opts, layout, &err) == KOHI_STATUS_OK && err == NULL, "layout accepted");
        kohi_result *r = parse_fixture("pmh_wrapped.xml", opts);
        kohi_str payer = {0};
        CHECK(r && kohi_kohi_get(r, 0, 0, KOHI_KOHI_FIELD_PAYER_NUMBER, &payer) == KOHI_STATUS_OK &&
                  str_eq(payer, "52136017"), "the layout reads the wrapped certificates");
        kohi_result_free(r);
        CHECK(kohi_options_set_layout_json(opts, "{\"place\": {\"Name\": \"Nowhere\"}}", &err) ==
                  KOHI_STATUS_INVALID_LAYOUT && err != NULL, "bad layout");
        if (err) {
            kohi_str message = kohi_error_message(err);
            CHECK(message.ptr && strstr(message.ptr, "place.Name") != NULL, "the message names the key");
            kohi_error_free(err);
        }
        kohi_options_free(opts);
    }
    kohi_string_free(json);
    CHECK(kohi_survey_files_json(NULL, 1, NULL, &json) == KOHI_STATUS_NULL_ARGUMENT, "NULL paths");
    free(path);
}

/* The options a watcher reads beyond parsing: a done folder (each acknowledged file moved
   there) and a ledger elsewhere than in the terminal folder. */
static void test_watcher_done_and_state(void) {
    char root[] = "/tmp/kohi-c-done-XXXXXX";
    CHECK(mkdtemp(root) != NULL, "done: temporary folder");
    char face[300], file[400], done[300], moved[400], state[300], ledger[300];
    snprintf(face, sizeof face, "%s/face", root);
    snprintf(file, sizeof file, "%s/OQSsiquc01res_face_1.xml", face);
    snprintf(done, sizeof done, "%s-done", root);
    snprintf(moved, sizeof moved, "%s/face/OQSsiquc01res_face_1.xml", done);
    snprintf(state, sizeof state, "%s-ledger.sqlite", root);
    snprintf(ledger, sizeof ledger, "%s/.kohi-inbox.sqlite", root);
    mkdir(face, 0700);
    char src[400];
    snprintf(src, sizeof src, "%s/face_pmh_two.xml", fixtures);
    size_t len = 0;
    char *bytes = read_file(src, &len);
    FILE *f = fopen(file, "wb");
    CHECK(f && bytes && fwrite(bytes, 1, len, f) == len, "done: the face result is written");
    if (f) fclose(f);
    free(bytes);

    kohi_options *opts = kohi_options_new();
    kohi_watcher *w = NULL;
    kohi_error *err = NULL;
    /* The terminal folder itself as the done folder: every file would come back. */
    CHECK(kohi_options_set_done_dir(opts, root, NULL) == KOHI_STATUS_OK, "done: set to the root");
    CHECK(kohi_watcher_new(root, opts, 50, 500, &w, &err) == KOHI_STATUS_INVALID_SETTING && w == NULL, "done: the root refused");
    kohi_str m = kohi_error_message(err);
    CHECK(err && strstr(m.ptr, "done_dir") != NULL, "done: named");
    kohi_error_free(err);
    CHECK(kohi_options_set_done_dir(opts, done, NULL) == KOHI_STATUS_OK, "done: set");
    CHECK(kohi_options_set_state_file(opts, state, NULL) == KOHI_STATUS_OK, "state: set");
    CHECK(kohi_options_set_done_dir(NULL, done, NULL) == KOHI_STATUS_NULL_ARGUMENT, "done: NULL options");
    CHECK(kohi_watcher_new(root, opts, 50, 500, &w, NULL) == KOHI_STATUS_OK && w != NULL, "done: watcher");
    kohi_options_free(opts);
    kohi_watch_event *e = NULL;
    for (int i = 0; i < 50 && e == NULL; i++) CHECK(kohi_watcher_next(w, 200, &e) == KOHI_STATUS_OK, "done: next");
    CHECK(e != NULL, "done: delivered");
    if (e) {
        struct stat st;
        CHECK(stat(file, &st) == 0, "done: still in place before the ack");
        CHECK(kohi_watcher_ack(w, e, NULL) == KOHI_STATUS_OK, "done: ack");
        CHECK(stat(file, &st) != 0 && stat(moved, &st) == 0, "done: moved once acknowledged");
        kohi_watch_event_free(e);
    }
    struct stat st;
    CHECK(stat(state, &st) == 0 && stat(ledger, &st) != 0, "state: the ledger where it was asked to be");
    kohi_watcher_free(w);
    unlink(moved);
    char done_face[350];
    snprintf(done_face, sizeof done_face, "%s/face", done);
    rmdir(done_face);
    CHECK(rmdir(done) == 0, "done: nothing else in the done folder");
    char sidecar[350];
    for (const char *suffix = "-wal"; suffix; suffix = strcmp(suffix, "-wal") == 0 ? "-shm" : NULL) {
        snprintf(sidecar, sizeof sidecar, "%s%s", state, suffix);
        unlink(sidecar);
    }
    unlink(state);
    rmdir(face);
    /* Only the lock that keeps a second watcher out stays in the terminal folder. */
    char lock[350];
    snprintf(lock, sizeof lock, "%s/.kohi-inbox.lock", root);
    CHECK(unlink(lock) == 0, "done: the watcher's lock");
    CHECK(rmdir(root) == 0, "done: the terminal folder holds nothing else of kohi's");
}

/* The request writer: fields set one by one, written into req/ in Shift_JIS, read back by the
   parser; a missing field is named, never quoted; nothing is written then. */
static void test_request(void) {
    char dir[] = "/tmp/kohi-c-request-XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "request: temporary folder");
    kohi_request *q = kohi_request_new();
    CHECK(q != NULL, "request: new");
    const struct { kohi_request_field field; const char *value; } fields[] = {
        {KOHI_REQUEST_FIELD_MEDICAL_INSTITUTION_CODE, "1312345678"},
        {KOHI_REQUEST_FIELD_QUALIFICATION_CONFIRMATION_DATE, "2025-06-04"},
        {KOHI_REQUEST_FIELD_INSURER_NUMBER, "138057"},
        {KOHI_REQUEST_FIELD_INSURED_CARD_SYMBOL, "練馬"},
        {KOHI_REQUEST_FIELD_INSURED_IDENTIFICATION_NUMBER, "40123"},
        {KOHI_REQUEST_FIELD_BIRTHDATE, "19530311"},
        {KOHI_REQUEST_FIELD_LIMIT_APPLICATION_CONSENT, "1"},
        {KOHI_REQUEST_FIELD_ARBITRARY_FILE_IDENTIFIER, "RC-0007"},
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        CHECK(kohi_request_set(q, fields[i].field, fields[i].value, NULL) == KOHI_STATUS_OK, "request: set %u", (unsigned)fields[i].field);
    kohi_error *err = NULL;
    CHECK(kohi_request_set(q, 99, "x", &err) == KOHI_STATUS_INVALID_ARGUMENT && err != NULL, "request: no field 99");
    kohi_error_free(err);

    /* A missing birthdate: invalid_request naming it; nothing written, *path_out untouched. */
    CHECK(kohi_request_set(q, KOHI_REQUEST_FIELD_BIRTHDATE, NULL, NULL) == KOHI_STATUS_OK, "request: unset");
    char *path = (char *)"untouched";
    err = NULL;
    CHECK(kohi_request_write(q, dir, "C1", KOHI_REQUEST_ENCODING_SHIFT_JIS, &path, &err) == KOHI_STATUS_INVALID_REQUEST, "request: missing birthdate");
    kohi_str m = kohi_error_message(err);
    CHECK(err != NULL && strstr(m.ptr, "birthdate") != NULL && strcmp(path, "untouched") == 0, "request: named, no output");
    kohi_error_free(err);
    CHECK(kohi_request_set(q, KOHI_REQUEST_FIELD_BIRTHDATE, "19530311", NULL) == KOHI_STATUS_OK, "request: set again");

    path = NULL;
    CHECK(kohi_request_write(q, dir, "C1", KOHI_REQUEST_ENCODING_SHIFT_JIS, &path, NULL) == KOHI_STATUS_OK && path != NULL, "request: written");
    char want[256];
    snprintf(want, sizeof want, "%s/OQSsiquc01req_C1.xml", dir);
    CHECK(path != NULL && strcmp(path, want) == 0, "request: its path");
    kohi_result *r = NULL;
    CHECK(kohi_parse_file(want, NULL, &r, NULL) == KOHI_STATUS_OK, "request: parses");
    kohi_str s = {0};
    CHECK(kohi_header_get(r, KOHI_HEADER_FIELD_ENCODING, &s) == KOHI_STATUS_OK && str_eq(s, "Shift_JIS"), "request: Shift_JIS");
    CHECK(kohi_header_get(r, KOHI_HEADER_FIELD_ARBITRARY_FILE_IDENTIFIER, &s) == KOHI_STATUS_OK && str_eq(s, "RC-0007"), "request: identifier");
    char *json = NULL;
    CHECK(kohi_result_to_json(r, &json) == KOHI_STATUS_OK && strstr(json, "\"raw\":\"練馬\"") != NULL, "request: the symbol in kanji");
    kohi_string_free(json);
    kohi_result_free(r);

    /* The same name again: io, the first file kept; a name of its own each time otherwise. */
    err = NULL;
    CHECK(kohi_request_write(q, dir, "C1", KOHI_REQUEST_ENCODING_SHIFT_JIS, NULL, &err) == KOHI_STATUS_IO, "request: same name refused");
    kohi_error_free(err);
    char *first = NULL, *second = NULL;
    CHECK(kohi_request_write(q, dir, NULL, KOHI_REQUEST_ENCODING_UTF8, &first, NULL) == KOHI_STATUS_OK, "request: fresh name 1");
    CHECK(kohi_request_write(q, dir, NULL, KOHI_REQUEST_ENCODING_UTF8, &second, NULL) == KOHI_STATUS_OK, "request: fresh name 2");
    CHECK(first && second && strcmp(first, second) != 0, "request: two names");
    CHECK(kohi_request_write(q, dir, NULL, 7, NULL, NULL) == KOHI_STATUS_INVALID_ARGUMENT, "request: no encoding 7");
    CHECK(kohi_request_write(NULL, dir, NULL, 0, NULL, NULL) == KOHI_STATUS_NULL_ARGUMENT, "request: NULL request");
    unlink(path);
    unlink(first);
    unlink(second);
    kohi_string_free(path);
    kohi_string_free(first);
    kohi_string_free(second);
    kohi_request_free(q);
    kohi_request_free(NULL);
    CHECK(rmdir(dir) == 0, "request: nothing else was left in the folder");
}

int main(int argc, char **argv) {
    fixtures = argc > 1 ? argv[1] : "fixtures";
    test_goldens();
    test_pmh_getters(KOHI_STRING_ENCODING_UTF8);
    test_pmh_getters(KOHI_STRING_ENCODING_CP932);
    test_medical_aid_getters(KOHI_STRING_ENCODING_UTF8);
    test_medical_aid_getters(KOHI_STRING_ENCODING_CP932);
    test_renewal();
    test_warnings_and_unknown();
    test_unrepresentable();
    test_arguments();
    test_numbers_and_version();
    test_threads();
    test_watcher();
    test_stream();
    test_stream_remainder();
    test_survey_and_layout();
    test_watch_pmh_document();
    test_legacy_callers();
    test_request();
    test_watcher_done_and_state();
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
