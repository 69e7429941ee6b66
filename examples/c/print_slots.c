/*
 * Print 第1〜第4公費 for the onshi result files named on the command line.
 * A starting point for a レセコン: parse, walk patients and their 公費 in レセプト order.
 *
 *   cc -std=c11 -Iffi/include examples/c/print_slots.c target/release/libkohi.a -lpthread -ldl -lm -o print_slots
 *   ./print_slots res/OQSsiquc01res_0001.xml face/OQSsiquc01res_face_0002.xml
 */
#include "kohi.h"

#include <stdio.h>

/* Prints a borrowed string; "-" when absent. Strings are NUL-terminated too. */
static void put(kohi_str s) {
    if (s.ptr) printf("%.*s", (int)s.len, s.ptr);
    else printf("-");
}

static kohi_str field(const kohi_result *r, size_t patient, size_t i, uint32_t f) {
    kohi_str s = {NULL, 0};
    kohi_kohi_get(r, patient, i, f, &s);
    return s;
}

int main(int argc, char **argv) {
    int failures = 0;
    for (int a = 1; a < argc; a++) {
        kohi_result *result = NULL;
        kohi_error *error = NULL;
        printf("%s\n", argv[a]);
        if (kohi_parse_file(argv[a], NULL, &result, &error) != KOHI_STATUS_OK) {
            /* Error messages say where, never patient data: safe to log. */
            kohi_str name = kohi_error_name(error), message = kohi_error_message(error);
            printf("  error %.*s: %.*s\n", (int)name.len, name.ptr, (int)message.len, message.ptr);
            kohi_error_free(error);
            failures++;
            continue;
        }
        size_t patients = 0;
        kohi_patient_count(result, &patients);
        for (size_t p = 0; p < patients; p++) {
            kohi_str pmh;
            kohi_patient_get(result, p, KOHI_PATIENT_FIELD_PMH, &pmh);
            printf("  patient %zu (PMH ", p + 1);
            put(pmh);
            printf(")\n");
            size_t count = 0;
            kohi_kohi_count(result, p, &count);
            for (size_t i = 0; i < count; i++) {
                uint32_t slot = 0;
                kohi_kohi_slot(result, p, i, &slot);
                if (slot) printf("    第%u公費 ", slot);
                else printf("    (枠外)  ");
                put(field(result, p, i, KOHI_KOHI_FIELD_PAYER_NUMBER));
                printf(" ");
                put(field(result, p, i, KOHI_KOHI_FIELD_RECIPIENT_NUMBER));
                printf(" ");
                kohi_str program = field(result, p, i, KOHI_KOHI_FIELD_PROGRAM);
                put(program.ptr ? program : field(result, p, i, KOHI_KOHI_FIELD_CERTIFICATE_NAME));
                printf(" ");
                put(field(result, p, i, KOHI_KOHI_FIELD_VALID_FROM));
                printf("..");
                put(field(result, p, i, KOHI_KOHI_FIELD_VALID_TO));
                printf("\n");
            }
        }
        kohi_result_free(result);
    }
    return failures ? 1 : 0;
}
