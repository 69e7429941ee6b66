/*
 * Stream a bulk (一括照会) result one patient at a time, in memory that does not grow with the
 * file, then read what the file said besides its patients (its remainder): the bulk status, and
 * the header of a failed request, which has no patient at all.
 *
 *   cc -std=c11 -Iffi/include examples/c/stream_bulk.c target/release/libkohi.a -lpthread -ldl -lm -o stream_bulk
 *   ./stream_bulk res/OQSmuquc02res_0001.xml
 */
#include "kohi.h"

#include <stdio.h>

/* Prints a borrowed string; "-" when absent. */
static void put(kohi_str s) {
    if (s.ptr) printf("%.*s", (int)s.len, s.ptr);
    else printf("-");
}

static kohi_str header(const kohi_result *r, uint32_t field) {
    kohi_str s = {NULL, 0};
    kohi_header_get(r, field, &s);
    return s;
}

/* Error messages say where, never patient data: safe to log. */
static void print_error(kohi_error *error) {
    kohi_str name = kohi_error_name(error), message = kohi_error_message(error);
    printf("  error %.*s: %.*s\n", (int)name.len, name.ptr, (int)message.len, message.ptr);
    kohi_error_free(error);
}

static int stream_file(const char *path) {
    kohi_stream *stream = NULL;
    kohi_error *error = NULL;
    printf("%s\n", path);
    if (kohi_stream_open(path, NULL, &stream, &error) != KOHI_STATUS_OK) {
        print_error(error);
        return 1;
    }
    size_t seen = 0;
    for (;;) {
        kohi_result *one = NULL; /* one patient, with its unit's warnings */
        if (kohi_stream_next(stream, &one, &error) != KOHI_STATUS_OK) {
            /* The patients before the fault were handed out; the stream has ended. */
            printf("  after %zu patient(s):\n", seen);
            print_error(error);
            kohi_stream_free(stream);
            return 1;
        }
        if (!one) break;
        size_t kohi = 0, warnings = 0;
        kohi_str status = {NULL, 0};
        kohi_patient_get(one, 0, KOHI_PATIENT_FIELD_PROCESSING_RESULT_STATUS, &status);
        kohi_kohi_count(one, 0, &kohi);
        kohi_warning_count(one, &warnings);
        printf("  patient %zu: status ", ++seen);
        put(status);
        printf(", %zu 公費, %zu warning(s)\n", kohi, warnings);
        kohi_result_free(one);
    }
    kohi_result *rest = NULL;
    kohi_stream_remainder(stream, &rest);
    kohi_stream_free(stream); /* the remainder is ours: it outlives the stream */
    printf("  %zu patient(s); file: segment ", seen);
    put(header(rest, KOHI_HEADER_FIELD_SEGMENT_OF_RESULT));
    printf(", error code ");
    put(header(rest, KOHI_HEADER_FIELD_ERROR_CODE));
    printf(", reception ");
    put(header(rest, KOHI_HEADER_FIELD_BULK_RECEPTION_NUMBER));
    printf(", bulk status ");
    put(header(rest, KOHI_HEADER_FIELD_BULK_PROCESSING_RESULT_STATUS));
    printf("\n");
    kohi_result_free(rest);
    return 0;
}

int main(int argc, char **argv) {
    int failures = 0;
    for (int a = 1; a < argc; a++) failures += stream_file(argv[a]);
    return failures ? 1 : 0;
}
