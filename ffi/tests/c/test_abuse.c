/*
 * Abuse of the C ABI: NULL in every pointer position, out-of-range indexes and fields, invalid
 * UTF-8, and threads (8 parsing at once, 8 reading one result). Nothing may crash, leak or race.
 *     test_abuse fixtures
 */
#define _POSIX_C_SOURCE 200809L
#include "kohi.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int passed, failed;

#define CHECK(cond, what)                                              \
    do {                                                               \
        if (cond) passed++;                                            \
        else {                                                         \
            failed++;                                                  \
            fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, what); \
        }                                                              \
    } while (0)

#define NULL_ARG(call) CHECK((call) == KOHI_STATUS_NULL_ARGUMENT, #call)

static char path[512];

static int str_name_is(kohi_str s, const char *want) {
    return s.ptr && s.len == strlen(want) && memcmp(s.ptr, want, s.len) == 0;
}

static void nulls_everywhere(const kohi_result *r) {
    kohi_str s;
    size_t n;
    uint32_t u;
    int32_t i;
    char *json;
    kohi_result *out;
    kohi_options *opts = kohi_options_new();

    NULL_ARG(kohi_parse(NULL, 1, NULL, &out, NULL));
    NULL_ARG(kohi_parse((const uint8_t *)"<a/>", 4, NULL, NULL, NULL));
    /* A length no buffer can have: a typed error, never an abort (the debug build aborted). */
    {
        kohi_error *err = NULL;
        out = NULL;
        CHECK(kohi_parse((const uint8_t *)"<a/>", SIZE_MAX, NULL, &out, &err) == KOHI_STATUS_INPUT_TOO_LARGE && !out, "SIZE_MAX");
        CHECK(err && kohi_error_code(err) == KOHI_STATUS_INPUT_TOO_LARGE, "SIZE_MAX error");
        kohi_error_free(err);
        kohi_options *unlimited = kohi_options_new();
        kohi_options_set_max_input_bytes(unlimited, SIZE_MAX);
        CHECK(kohi_parse((const uint8_t *)"<a/>", SIZE_MAX, unlimited, &out, NULL) == KOHI_STATUS_INPUT_TOO_LARGE, "SIZE_MAX, no limit");
        kohi_options_free(unlimited);
    }
    /* Limits by number: a tight element limit refuses a fixture, an unknown number is refused. */
    {
        kohi_options *tight = kohi_options_new();
        CHECK(kohi_options_set_limit(tight, KOHI_LIMIT_ELEMENTS, 5) == KOHI_STATUS_OK, "set limit");
        CHECK(kohi_options_set_limit(tight, 99, 5) == KOHI_STATUS_INVALID_ARGUMENT, "unknown limit");
        CHECK(kohi_options_set_limit(NULL, KOHI_LIMIT_ELEMENTS, 5) == KOHI_STATUS_NULL_ARGUMENT, "NULL options");
        const char *xml = "<XmlMsg><MessageHeader><A/><B/><C/><D/><E/><F/></MessageHeader></XmlMsg>";
        out = NULL;
        CHECK(kohi_parse((const uint8_t *)xml, strlen(xml), tight, &out, NULL) == KOHI_STATUS_LIMIT_EXCEEDED && !out, "limit applies");
        kohi_options_free(tight);
    }
    NULL_ARG(kohi_parse_file(NULL, NULL, &out, NULL));
    NULL_ARG(kohi_parse_file(path, NULL, NULL, NULL));
    NULL_ARG(kohi_options_set_aliases_json(NULL, "{}", NULL));
    NULL_ARG(kohi_options_set_aliases_json(opts, NULL, NULL));
    NULL_ARG(kohi_options_set_max_input_bytes(NULL, 1));
    NULL_ARG(kohi_options_set_string_encoding(NULL, 0));

    NULL_ARG(kohi_header_get(NULL, 0, &s));
    NULL_ARG(kohi_header_get(r, 0, NULL));
    NULL_ARG(kohi_patient_count(NULL, &n));
    NULL_ARG(kohi_patient_count(r, NULL));
    NULL_ARG(kohi_patient_get(NULL, 0, 0, &s));
    NULL_ARG(kohi_patient_get(r, 0, 0, NULL));
    NULL_ARG(kohi_qualification_count(NULL, 0, &n));
    NULL_ARG(kohi_qualification_count(r, 0, NULL));
    NULL_ARG(kohi_qualification_get(NULL, 0, 0, 0, &s));
    NULL_ARG(kohi_qualification_get(r, 0, 0, 0, NULL));
    NULL_ARG(kohi_kohi_count(NULL, 0, &n));
    NULL_ARG(kohi_kohi_count(r, 0, NULL));
    NULL_ARG(kohi_kohi_get(NULL, 0, 0, 0, &s));
    NULL_ARG(kohi_kohi_get(r, 0, 0, 0, NULL));
    NULL_ARG(kohi_kohi_slot(NULL, 0, 0, &u));
    NULL_ARG(kohi_kohi_slot(r, 0, 0, NULL));
    NULL_ARG(kohi_kohi_get_flag(NULL, 0, 0, 0, &i));
    NULL_ARG(kohi_kohi_get_flag(r, 0, 0, 0, NULL));
    NULL_ARG(kohi_warning_count(NULL, &n));
    NULL_ARG(kohi_warning_count(r, NULL));
    NULL_ARG(kohi_warning_get(NULL, 0, 0, &s));
    NULL_ARG(kohi_warning_get(r, 0, 0, NULL));
    NULL_ARG(kohi_unknown_count(NULL, &n));
    NULL_ARG(kohi_unknown_count(r, NULL));
    NULL_ARG(kohi_unknown_get(NULL, 0, 0, &s));
    NULL_ARG(kohi_unknown_get(r, 0, 0, NULL));
    NULL_ARG(kohi_result_to_json(NULL, &json));
    NULL_ARG(kohi_result_to_json(r, NULL));
    NULL_ARG(kohi_patient_to_json(NULL, 0, &json));
    NULL_ARG(kohi_patient_to_json(r, 0, NULL));
    NULL_ARG(kohi_reconcile_json(NULL, r, 0, "2025-01-01", &json));
    NULL_ARG(kohi_reconcile_json("[]", NULL, 0, "2025-01-01", &json));
    NULL_ARG(kohi_reconcile_json("[]", r, 0, NULL, &json));
    NULL_ARG(kohi_reconcile_json("[]", r, 0, "2025-01-01", NULL));
    NULL_ARG(kohi_check_number(0, NULL, &i));
    NULL_ARG(kohi_check_number(0, "1", NULL));
    NULL_ARG(kohi_error_code(NULL));
    NULL_ARG(kohi_watcher_new(NULL, NULL, 0, 0, &(kohi_watcher *){NULL}, NULL));
    NULL_ARG(kohi_watcher_new("/tmp", NULL, 0, 0, NULL, NULL));
    NULL_ARG(kohi_watcher_next(NULL, 0, &(kohi_watch_event *){NULL}));
    NULL_ARG(kohi_watch_event_kind(NULL, &u));
    NULL_ARG(kohi_watch_event_path(NULL, &s));
    NULL_ARG(kohi_watch_event_request(NULL, &s));
    NULL_ARG(kohi_watch_event_message(NULL, &s));
    NULL_ARG(kohi_watch_event_id(NULL, &s));
    NULL_ARG(kohi_watch_event_entry_count(NULL, &(size_t){0}));
    NULL_ARG(kohi_watch_event_entry_name(NULL, 0, &s));
    CHECK(kohi_watch_event_entry_result(NULL, 0) == NULL && kohi_watch_event_entry_error(NULL, 0) == NULL, "entry NULL");
    NULL_ARG(kohi_watcher_ack(NULL, NULL, NULL));
    NULL_ARG(kohi_watcher_recovered_store(NULL, &s));
    CHECK(kohi_watch_event_result(NULL) == NULL, "event result NULL");
    CHECK(kohi_watch_event_error(NULL) == NULL, "event error NULL");
    CHECK(kohi_error_message(NULL).ptr == NULL, "error message NULL");
    CHECK(kohi_error_name(NULL).ptr == NULL, "error name NULL");
    kohi_result_free(NULL);
    kohi_error_free(NULL);
    kohi_options_free(NULL);
    kohi_string_free(NULL);
    kohi_watcher_cancel(NULL);
    kohi_watcher_free(NULL);
    kohi_watch_event_free(NULL);
    kohi_options_free(opts);
}

static void out_of_range(const kohi_result *r) {
    kohi_str s;
    uint32_t u;
    int32_t i;
    size_t n;
    const size_t huge = (size_t)-1;
    CHECK(kohi_patient_get(r, huge, 0, &s) == KOHI_STATUS_OUT_OF_RANGE, "patient huge");
    CHECK(kohi_qualification_count(r, huge, &n) == KOHI_STATUS_OUT_OF_RANGE, "qual count huge");
    CHECK(kohi_qualification_get(r, 0, huge, 0, &s) == KOHI_STATUS_OUT_OF_RANGE, "qual huge");
    CHECK(kohi_kohi_get(r, 0, huge, 0, &s) == KOHI_STATUS_OUT_OF_RANGE, "kohi huge");
    CHECK(kohi_kohi_slot(r, huge, 0, &u) == KOHI_STATUS_OUT_OF_RANGE, "slot huge");
    CHECK(kohi_kohi_get_flag(r, 0, huge, 0, &i) == KOHI_STATUS_OUT_OF_RANGE, "flag huge");
    CHECK(kohi_warning_get(r, huge, 0, &s) == KOHI_STATUS_OUT_OF_RANGE, "warning huge");
    CHECK(kohi_unknown_get(r, huge, 0, &s) == KOHI_STATUS_OUT_OF_RANGE, "unknown huge");
    CHECK(kohi_header_get(r, 0xFFFFFFFFu, &s) == KOHI_STATUS_INVALID_ARGUMENT, "header field");
    CHECK(kohi_patient_get(r, 0, 0xFFFFFFFFu, &s) == KOHI_STATUS_INVALID_ARGUMENT, "patient field");
    CHECK(kohi_kohi_get(r, 0, 0, 0xFFFFFFFFu, &s) == KOHI_STATUS_INVALID_ARGUMENT, "kohi field");
    CHECK(kohi_kohi_get_flag(r, 0, 0, 0xFFFFFFFFu, &i) == KOHI_STATUS_INVALID_ARGUMENT, "flag field");
    CHECK(kohi_warning_get(r, 0, 0xFFFFFFFFu, &s) == KOHI_STATUS_OUT_OF_RANGE, "no warnings");
    CHECK(kohi_check_number(0xFFFFFFFFu, "1", &i) == KOHI_STATUS_INVALID_ARGUMENT, "kind");
    CHECK(kohi_reconcile_json("[]", r, huge, "2025-01-01", &(char *){NULL}) == KOHI_STATUS_OUT_OF_RANGE, "reconcile patient");
    kohi_options *opts = kohi_options_new();
    CHECK(kohi_options_set_string_encoding(opts, 0xFFFFFFFFu) == KOHI_STATUS_INVALID_ARGUMENT, "encoding");
    CHECK(kohi_options_set_max_input_bytes(opts, 0) == KOHI_STATUS_OK, "zero limit");
    kohi_result *out = NULL;
    CHECK(kohi_parse((const uint8_t *)"<a/>", 4, opts, &out, NULL) == KOHI_STATUS_INPUT_TOO_LARGE && !out, "zero limit parse");
    kohi_options_free(opts);
    CHECK(str_name_is(kohi_status_name(0xFFFFFFFFu), "unknown"), "status name");
}

static void bad_utf8(void) {
    kohi_result *out = NULL;
    kohi_error *err = NULL;
    int32_t valid;
    const char *bad[] = {"\xff", "\xc0\xaf", "ok\xed\xa0\x80", "\xe3\x81"};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        CHECK(kohi_parse_file(bad[k], NULL, &out, &err) == KOHI_STATUS_INVALID_ARGUMENT && !out, "path");
        CHECK(err && kohi_error_code(err) == KOHI_STATUS_INVALID_ARGUMENT, "path error");
        kohi_error_free(err);
        err = NULL;
        CHECK(kohi_check_number(1, bad[k], &valid) == KOHI_STATUS_INVALID_ARGUMENT, "number");
        kohi_options *opts = kohi_options_new();
        CHECK(kohi_options_set_aliases_json(opts, bad[k], NULL) == KOHI_STATUS_INVALID_ARGUMENT, "aliases");
        kohi_options_free(opts);
        CHECK(kohi_watcher_new(bad[k], NULL, 0, 0, &(kohi_watcher *){NULL}, NULL) == KOHI_STATUS_INVALID_ARGUMENT, "root");
        kohi_request *q = kohi_request_new();
        CHECK(kohi_request_set(q, KOHI_REQUEST_FIELD_INSURED_CARD_SYMBOL, bad[k], NULL) == KOHI_STATUS_INVALID_ARGUMENT, "request value");
        char *written = NULL;
        CHECK(kohi_request_write(q, bad[k], NULL, 0, &written, NULL) == KOHI_STATUS_INVALID_ARGUMENT && !written, "request folder");
        CHECK(kohi_request_write(q, "/tmp", bad[k], 0, &written, NULL) == KOHI_STATUS_INVALID_ARGUMENT && !written, "request name");
        kohi_request_free(q);
    }
    /* A request with NULL everywhere: NULL_ARGUMENT, and a field past the enum, never UB. */
    NULL_ARG(kohi_request_set(NULL, 0, "x", NULL));
    NULL_ARG(kohi_request_write(NULL, "/tmp", NULL, 0, NULL, NULL));
    {
        kohi_request *q = kohi_request_new();
        NULL_ARG(kohi_request_write(q, NULL, NULL, 0, NULL, NULL));
        CHECK(kohi_request_set(q, 0xFFFFFFFFu, "x", NULL) == KOHI_STATUS_INVALID_ARGUMENT, "request field huge");
        kohi_request_free(q);
    }
    /* Garbage bytes in memory: a typed status, never a crash. */
    unsigned char noise[4096];
    unsigned x = 12345;
    for (int round = 0; round < 200; round++) {
        for (size_t k = 0; k < sizeof noise; k++) noise[k] = (unsigned char)((x = x * 1103515245u + 12345u) >> 16);
        kohi_status st = kohi_parse(noise, (size_t)(x % sizeof noise), NULL, &out, NULL);
        CHECK(st != KOHI_STATUS_OK && st != KOHI_STATUS_PANIC && out == NULL, "noise");
    }
}

enum { THREADS = 8 };
static const kohi_result *shared;
static char *golden_json;

static void *parse_many(void *arg) {
    (void)arg;
    int ok = 1;
    for (int k = 0; k < 25; k++) {
        kohi_result *r = NULL;
        char *json = NULL;
        if (kohi_parse_file(path, NULL, &r, NULL) != KOHI_STATUS_OK || kohi_result_to_json(r, &json) != KOHI_STATUS_OK ||
            strcmp(json, golden_json) != 0)
            ok = 0;
        kohi_string_free(json);
        kohi_result_free(r);
    }
    return ok ? (void *)1 : NULL;
}

static void *read_shared(void *arg) {
    (void)arg;
    int ok = 1;
    for (int k = 0; k < 200; k++) {
        kohi_str s;
        uint32_t slot;
        char *json = NULL;
        if (kohi_kohi_get(shared, 0, 0, KOHI_KOHI_FIELD_PAYER_NUMBER, &s) != KOHI_STATUS_OK || s.len != 8) ok = 0;
        if (kohi_kohi_slot(shared, 0, 1, &slot) != KOHI_STATUS_OK || slot != 2) ok = 0;
        if (k % 50 == 0) {
            if (kohi_result_to_json(shared, &json) != KOHI_STATUS_OK || strcmp(json, golden_json) != 0) ok = 0;
            kohi_string_free(json);
        }
    }
    return ok ? (void *)1 : NULL;
}

static void threads(void) {
    kohi_result *r = NULL;
    CHECK(kohi_parse_file(path, NULL, &r, NULL) == KOHI_STATUS_OK, "parse for threads");
    CHECK(kohi_result_to_json(r, &golden_json) == KOHI_STATUS_OK, "json for threads");
    shared = r;
    pthread_t t[THREADS];
    void *ok;
    for (int round = 0; round < 2; round++) {
        for (int k = 0; k < THREADS; k++) pthread_create(&t[k], NULL, round ? read_shared : parse_many, NULL);
        for (int k = 0; k < THREADS; k++) {
            pthread_join(t[k], &ok);
            CHECK(ok != NULL, round ? "reader thread" : "parser thread");
        }
    }
    kohi_string_free(golden_json);
    kohi_result_free(r);
}

int main(int argc, char **argv) {
    snprintf(path, sizeof path, "%s/face_pmh_two.xml", argc > 1 ? argv[1] : "fixtures");
    kohi_result *r = NULL;
    if (kohi_parse_file(path, NULL, &r, NULL) != KOHI_STATUS_OK) {
        fprintf(stderr, "cannot parse %s\n", path);
        return 1;
    }
    nulls_everywhere(r);
    out_of_range(r);
    kohi_result_free(r);
    bad_utf8();
    threads();
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
