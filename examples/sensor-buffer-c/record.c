/* record.c — see record.h. */
#include "record.h"

/* Records nested deeper than this are refused (the router's own limit is 8). */
#define MAX_DEPTH 8

static uint32_t text_len(const char *text) {
    uint32_t n = 0;
    while (text[n] != '\0') n++;
    return n;
}

void rec_writer_init(struct rec_writer *w, uint8_t *buf, uint32_t cap) {
    w->buf = buf;
    w->cap = cap;
    w->len = 0;
    w->overflow = 0;
}

static void put(struct rec_writer *w, const uint8_t *bytes, uint32_t n) {
    if (w->overflow || n > w->cap - w->len) {
        w->overflow = 1;
        return;
    }
    for (uint32_t i = 0; i < n; i++) w->buf[w->len + i] = bytes[i];
    w->len += n;
}

static void put_varint(struct rec_writer *w, uint64_t value) {
    uint8_t out[10];
    uint32_t n = 0;
    do {
        uint8_t byte = value & 0x7f;
        value >>= 7;
        out[n++] = byte | (value ? 0x80 : 0);
    } while (value);
    put(w, out, n);
}

void rec_begin(struct rec_writer *w, uint32_t fields) { put_varint(w, fields); }

void rec_key(struct rec_writer *w, const char *key) {
    uint32_t n = text_len(key);
    put_varint(w, n);
    put(w, (const uint8_t *)key, n);
}

void rec_u64(struct rec_writer *w, uint64_t value) {
    put_varint(w, REC_U64);
    put_varint(w, value);
}

void rec_str(struct rec_writer *w, const char *text, uint32_t len) {
    put_varint(w, REC_STR);
    put_varint(w, len);
    put(w, (const uint8_t *)text, len);
}

void rec_bytes(struct rec_writer *w, const uint8_t *bytes, uint32_t len) {
    put_varint(w, REC_BYTES);
    put_varint(w, len);
    put(w, bytes, len);
}

int32_t rec_finish(const struct rec_writer *w) { return w->overflow ? -1 : (int32_t)w->len; }

/* A cursor over untrusted bytes. */
struct reader {
    const uint8_t *bytes;
    uint32_t len;
    uint32_t at;
};

static int get_varint(struct reader *r, uint64_t *out) {
    uint64_t value = 0;
    for (uint32_t shift = 0; shift < 64; shift += 7) {
        if (r->at >= r->len) return -1;
        uint8_t byte = r->bytes[r->at++];
        value |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80)) {
            *out = value;
            return 0;
        }
    }
    return -1;
}

static int skip(struct reader *r, uint64_t n) {
    if (n > r->len - r->at) return -1;
    r->at += (uint32_t)n;
    return 0;
}

static int skip_record(struct reader *r, int depth);

static int skip_value(struct reader *r, uint64_t tag, int depth) {
    uint64_t n;
    switch (tag) {
    case REC_UNIT: return 0;
    case REC_BOOL: return skip(r, 1);
    case REC_I64:
    case REC_U64: return get_varint(r, &n);
    case REC_F32: return skip(r, 4);
    case REC_F64: return skip(r, 8);
    case REC_BYTES:
    case REC_STR: return get_varint(r, &n) ? -1 : skip(r, n);
    case REC_LIST:
        if (depth >= MAX_DEPTH || get_varint(r, &n)) return -1;
        while (n--) {
            uint64_t item;
            if (get_varint(r, &item) || skip_value(r, item, depth + 1)) return -1;
        }
        return 0;
    case REC_RECORD:
        if (depth >= MAX_DEPTH) return -1;
        return skip_record(r, depth + 1);
    default: return -1;
    }
}

/* Read a key; whether it equals `key` goes to *same. */
static int read_key(struct reader *r, const char *key, int *same) {
    uint64_t n;
    if (get_varint(r, &n) || n > r->len - r->at) return -1;
    uint32_t want = text_len(key);
    *same = n == want;
    for (uint32_t i = 0; *same && i < want; i++) *same = r->bytes[r->at + i] == (uint8_t)key[i];
    r->at += (uint32_t)n;
    return 0;
}

static int skip_record(struct reader *r, int depth) {
    uint64_t fields, tag;
    int same;
    if (get_varint(r, &fields)) return -1;
    while (fields--) {
        if (read_key(r, "", &same) || get_varint(r, &tag) || skip_value(r, tag, depth)) return -1;
    }
    return 0;
}

int rec_get_u64(const uint8_t *bytes, uint32_t len, const char *key, uint64_t *out) {
    struct reader r = {bytes, len, 0};
    uint64_t fields, tag, value;
    int same, found = -1;
    if (get_varint(&r, &fields)) return -1;
    while (fields--) {
        if (read_key(&r, key, &same) || get_varint(&r, &tag)) return -1;
        if (same && found != 0 && (tag == REC_U64 || tag == REC_I64)) {
            if (get_varint(&r, &value)) return -1;
            if (tag == REC_I64) {
                if (value & 1) return -1; /* zigzag: odd is negative */
                value >>= 1;
            }
            *out = value;
            found = 0;
        } else if (skip_value(&r, tag, 0)) {
            return -1;
        }
    }
    /* Trailing bytes mean this was not one record. */
    return r.at == r.len ? found : -1;
}
