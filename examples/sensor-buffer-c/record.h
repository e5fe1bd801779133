/* record.h — the router's Record wire format, the little a C guest needs of it.
 *
 * postcard via serde (record/src/lib.rs has the table): a record is varint(n) then n
 * fields `key: str, value`; a string is varint(len) then UTF-8; a value is varint(tag)
 * then its payload. Varints are unsigned LEB128; I64 is zigzag-encoded first.
 *
 * Encoding appends to a fixed buffer and never writes past it (the writer remembers that
 * it overflowed); decoding reads untrusted bytes and never reads past them.
 */
#ifndef FIREBALL_RECORD_H
#define FIREBALL_RECORD_H

#include <stdint.h>

enum rec_tag {
    REC_UNIT = 0,
    REC_BOOL = 1,
    REC_I64 = 2,
    REC_U64 = 3,
    REC_F32 = 4,
    REC_F64 = 5,
    REC_BYTES = 6,
    REC_STR = 7,
    REC_LIST = 8,
    REC_RECORD = 9,
};

/* An encoder over buf[0..cap). */
struct rec_writer {
    uint8_t *buf;
    uint32_t cap;
    uint32_t len;
    int overflow;
};

void rec_writer_init(struct rec_writer *w, uint8_t *buf, uint32_t cap);
/* Start a record of `fields` fields; then, per field, a key and one value. */
void rec_begin(struct rec_writer *w, uint32_t fields);
void rec_key(struct rec_writer *w, const char *key);
void rec_u64(struct rec_writer *w, uint64_t value);
void rec_str(struct rec_writer *w, const char *text, uint32_t len);
void rec_bytes(struct rec_writer *w, const uint8_t *bytes, uint32_t len);
/* The encoded length, or -1 if it did not fit. */
int32_t rec_finish(const struct rec_writer *w);

/* Find field `key` of the record in bytes[0..len) and read it as an unsigned integer
 * (a U64, or an I64 that is not negative). 0 on success; -1 if the bytes are not a
 * well-formed record, the field is missing, or it is not such an integer. */
int rec_get_u64(const uint8_t *bytes, uint32_t len, const char *key, uint64_t *out);

#endif
