/* sensor_buffer.c — seed app 1 in C: the `sensor-buffer` guest without an SDK.
 *
 * Reads hal://adc/0 every 10 000 ticks, buffers 64 samples as int16_t, and when the buffer
 * is full writes its 128 bytes to svc://mesh/tx; one log:// line per transmission; after
 * two buffers fb_main returns. Same routes, requests and log lines as the Rust guest
 * (examples/sensor-buffer):
 *
 *   read  hal://adc/0    {}                 -> AdcSample {channel, raw, bits, millivolts}
 *   write svc://mesh/tx  Transmit {data}    -> Sent {frames, bytes}
 *   write log://         LogLine {level, text}  (a notification)
 */
#include "fireball.h"
#include "record.h"

#define BUFFER_SIZE 64
#define BUFFERS 2
#define SAMPLE_PERIOD_TICKS 10000
#define STR(s) s, (int32_t)(sizeof(s) - 1)

static int16_t samples[BUFFER_SIZE];
static uint8_t message[16 + 2 * BUFFER_SIZE]; /* a request record */
static uint8_t reply[128];                    /* a reply record */
static char text[96];                         /* a log line */

/* The empty record: the body of a read. */
static const uint8_t EMPTY[1] = {0};

/* Append `s` / a decimal to text[0..*len). */
static void append(uint32_t *len, const char *s) {
    while (*s && *len < sizeof(text)) text[(*len)++] = *s++;
}

static void append_u32(uint32_t *len, uint32_t value) {
    char digits[10];
    int n = 0;
    do {
        digits[n++] = (char)('0' + value % 10);
        value /= 10;
    } while (value);
    while (n && *len < sizeof(text)) text[(*len)++] = digits[--n];
}

/* Send text[0..len) to the logger at `level` ("info", "error"); a line the logger cannot
 * take is dropped, as the Rust SDK's log macros do. */
static void log_line(int32_t logger, const char *level, uint32_t len) {
    struct rec_writer w;
    rec_writer_init(&w, message, sizeof(message));
    rec_begin(&w, 2);
    rec_key(&w, "level");
    uint32_t level_len = 0;
    while (level[level_len]) level_len++;
    rec_str(&w, level, level_len);
    rec_key(&w, "text");
    rec_str(&w, text, len);
    int32_t n = rec_finish(&w);
    if (n >= 0) fb_route_notify(logger, FB_METHOD_WRITE, message, n);
}

/* Call `binding` and copy the reply into reply[]; its length or a negative status. */
static int32_t call(int32_t binding, int32_t method, const uint8_t *req, int32_t len) {
    int32_t status = fb_route_call(binding, method, req, len);
    if (status < 0) return status;
    return fb_route_reply(reply, sizeof(reply));
}

/* Read one conversion; its raw value, or a negative status. */
static int32_t read_adc(int32_t adc) {
    int32_t len = call(adc, FB_METHOD_READ, EMPTY, sizeof(EMPTY));
    uint64_t raw;
    if (len < 0) return len;
    if (rec_get_u64(reply, (uint32_t)len, "raw", &raw) || raw > 0xffff) return FB_STATUS_BAD_MESSAGE;
    return (int32_t)raw;
}

/* Send the buffer; 0 with the mesh's counts, or a negative status. */
static int32_t transmit(int32_t mesh, uint64_t *frames, uint64_t *bytes) {
    uint8_t data[2 * BUFFER_SIZE];
    for (int i = 0; i < BUFFER_SIZE; i++) {
        data[2 * i] = (uint8_t)samples[i];
        data[2 * i + 1] = (uint8_t)((uint16_t)samples[i] >> 8);
    }
    struct rec_writer w;
    rec_writer_init(&w, message, sizeof(message));
    rec_begin(&w, 1);
    rec_key(&w, "data");
    rec_bytes(&w, data, sizeof(data));
    int32_t n = rec_finish(&w);
    if (n < 0) return FB_STATUS_TOO_LARGE;
    int32_t len = call(mesh, FB_METHOD_WRITE, message, n);
    if (len < 0) return len;
    if (rec_get_u64(reply, (uint32_t)len, "frames", frames) ||
        rec_get_u64(reply, (uint32_t)len, "bytes", bytes))
        return FB_STATUS_BAD_MESSAGE;
    return 0;
}

static int32_t run(int32_t logger) {
    int32_t adc = fb_route_bind(STR("hal://adc/0"));
    if (adc < 0) return adc;
    int32_t mesh = fb_route_bind(STR("svc://mesh/tx"));
    if (mesh < 0) return mesh;
    int count = 0;
    for (int taken = 0; taken < BUFFERS * BUFFER_SIZE; taken++) {
        if (taken > 0) fb_sleep_ticks(SAMPLE_PERIOD_TICKS);
        int32_t raw = read_adc(adc);
        if (raw < 0) return raw;
        samples[count++] = raw > 0x7fff ? 0x7fff : (int16_t)raw;
        if (count < BUFFER_SIZE) continue;
        count = 0;
        uint64_t frames, bytes;
        int32_t status = transmit(mesh, &frames, &bytes);
        if (status < 0) return status;
        uint32_t len = 0;
        append(&len, "buffer ");
        append_u32(&len, (uint32_t)(taken / BUFFER_SIZE + 1));
        append(&len, "/2: 64 samples, 128 B in ");
        append_u32(&len, (uint32_t)frames);
        append(&len, " frames (");
        append_u32(&len, (uint32_t)bytes);
        append(&len, " B on air)");
        log_line(logger, "info", len);
    }
    return 0;
}

FB_ENTRY void fb_main(void) {
    int32_t logger = fb_route_bind(STR("log://"));
    int32_t status = run(logger);
    uint32_t len = 0;
    if (status == 0) {
        append(&len, "done: 2 buffers sent");
        if (logger >= 0) log_line(logger, "info", len);
        return;
    }
    append(&len, "stopped: status ");
    if (status <= FB_FAILED_BASE) {
        append(&len, "failed ");
        append_u32(&len, (uint32_t)(FB_FAILED_BASE - status));
    } else {
        append(&len, "-");
        append_u32(&len, (uint32_t)(-status));
    }
    if (logger >= 0) {
        log_line(logger, "error", len);
    } else {
        fb_print(text, (int32_t)len);
    }
}
