/* test_record.c — record.c on the host, against bytes the Rust codec (fireball-record)
 * produced for the same messages. Run by build.sh; exits non-zero on the first mismatch. */
#include <stdio.h>
#include <string.h>

#include "record.h"

static int failures;

#define CHECK(cond)                                                   \
    do {                                                              \
        if (!(cond)) {                                                \
            fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #cond); \
            failures++;                                               \
        }                                                             \
    } while (0)

/* AdcSample { channel: 0, raw: 2048, bits: 12, millivolts: 1650 } */
static const uint8_t ADC[] = {
    0x04, 0x07, 'c', 'h', 'a', 'n', 'n', 'e', 'l', 0x03, 0x00, 0x03, 'r', 'a', 'w', 0x03,
    0x80, 0x10, 0x04, 'b', 'i', 't', 's', 0x03, 0x0c, 0x0a, 'm', 'i', 'l', 'l', 'i', 'v',
    'o', 'l', 't', 's', 0x03, 0xf2, 0x0c,
};
/* Sent { frames: 2, bytes: 138 } */
static const uint8_t SENT[] = {
    0x02, 0x06, 'f', 'r', 'a', 'm', 'e', 's', 0x03, 0x02,
    0x05, 'b', 'y', 't', 'e', 's', 0x03, 0x8a, 0x01,
};
/* Transmit { data: [1, 2, 3] } */
static const uint8_t TRANSMIT[] = {0x01, 0x04, 'd', 'a', 't', 'a', 0x06, 0x03, 0x01, 0x02, 0x03};
/* LogLine { level: Info, text: "hi" } */
static const uint8_t LOG[] = {
    0x02, 0x05, 'l', 'e', 'v', 'e', 'l', 0x07, 0x04, 'i', 'n', 'f', 'o',
    0x04, 't', 'e', 'x', 't', 0x07, 0x02, 'h', 'i',
};
/* { x: [F32 1.0, { raw: 5 }], raw: I64 7 } */
static const uint8_t NESTED[] = {
    0x02, 0x01, 'x', 0x08, 0x02, 0x04, 0x00, 0x00, 0x80, 0x3f, 0x09, 0x01,
    0x03, 'r', 'a', 'w', 0x03, 0x05, 0x03, 'r', 'a', 'w', 0x02, 0x0e,
};
/* { raw: I64 -3 } */
static const uint8_t NEGATIVE[] = {0x01, 0x03, 'r', 'a', 'w', 0x02, 0x05};

int main(void) {
    uint64_t v = 0;
    CHECK(rec_get_u64(ADC, sizeof(ADC), "raw", &v) == 0 && v == 2048);
    CHECK(rec_get_u64(ADC, sizeof(ADC), "millivolts", &v) == 0 && v == 1650);
    CHECK(rec_get_u64(ADC, sizeof(ADC), "volts", &v) == -1);
    CHECK(rec_get_u64(SENT, sizeof(SENT), "frames", &v) == 0 && v == 2);
    CHECK(rec_get_u64(SENT, sizeof(SENT), "bytes", &v) == 0 && v == 138);
    CHECK(rec_get_u64(NESTED, sizeof(NESTED), "raw", &v) == 0 && v == 7);
    CHECK(rec_get_u64(NESTED, sizeof(NESTED), "x", &v) == -1);
    CHECK(rec_get_u64(NEGATIVE, sizeof(NEGATIVE), "raw", &v) == -1);
    CHECK(rec_get_u64(LOG, sizeof(LOG), "level", &v) == -1);
    /* Every cut-short record, and one with a trailing byte, is refused. */
    for (uint32_t n = 0; n < sizeof(ADC); n++) CHECK(rec_get_u64(ADC, n, "raw", &v) == -1);
    uint8_t longer[sizeof(SENT) + 1];
    memcpy(longer, SENT, sizeof(SENT));
    longer[sizeof(SENT)] = 0;
    CHECK(rec_get_u64(longer, sizeof(longer), "frames", &v) == -1);
    /* A varint longer than 64 bits is refused. */
    static const uint8_t HUGE[] = {0x01, 0x01, 'a', 0x03, 0xff, 0xff, 0xff, 0xff, 0xff,
                                   0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    CHECK(rec_get_u64(HUGE, sizeof(HUGE), "a", &v) == -1);

    uint8_t buf[64];
    struct rec_writer w;
    rec_writer_init(&w, buf, sizeof(buf));
    rec_begin(&w, 1);
    rec_key(&w, "data");
    rec_bytes(&w, (const uint8_t[]){1, 2, 3}, 3);
    CHECK(rec_finish(&w) == (int32_t)sizeof(TRANSMIT) && memcmp(buf, TRANSMIT, sizeof(TRANSMIT)) == 0);

    rec_writer_init(&w, buf, sizeof(buf));
    rec_begin(&w, 2);
    rec_key(&w, "level");
    rec_str(&w, "info", 4);
    rec_key(&w, "text");
    rec_str(&w, "hi", 2);
    CHECK(rec_finish(&w) == (int32_t)sizeof(LOG) && memcmp(buf, LOG, sizeof(LOG)) == 0);

    rec_writer_init(&w, buf, 8);
    rec_begin(&w, 1);
    rec_key(&w, "data");
    rec_bytes(&w, buf, 16);
    CHECK(rec_finish(&w) == -1);
    CHECK(w.len <= 8);

    rec_writer_init(&w, buf, sizeof(buf));
    rec_u64(&w, 300);
    CHECK(rec_finish(&w) == 3 && buf[0] == REC_U64 && buf[1] == 0xac && buf[2] == 0x02);

    if (failures) {
        fprintf(stderr, "record: %d check(s) failed\n", failures);
        return 1;
    }
    printf("record: host checks passed\n");
    return 0;
}
