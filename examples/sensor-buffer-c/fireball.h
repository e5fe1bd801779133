/* fireball.h — the Fireball guest ABI for C: the builtins a module imports from "fb".
 *
 * The same contract as abi/src/lib.rs (crate fireball-abi), which is the reference: every
 * pointer is an offset into the module's own linear memory and every length is in bytes;
 * the hypervisor checks both before it touches them. A status below zero is an error (see
 * FB_STATUS_*); a router handler's failure code c comes back as FB_FAILED_BASE - c.
 *
 * A guest exports `void fb_main(void)` (FB_ENTRY below) and is done when it returns.
 */
#ifndef FIREBALL_H
#define FIREBALL_H

#include <stdint.h>

#define FB_IMPORT(name) __attribute__((import_module("fb"), import_name(name)))
#define FB_ENTRY __attribute__((export_name("fb_main")))

/* Console, time, scheduling. */
FB_IMPORT("print") void fb_print(const void *ptr, int32_t len);
FB_IMPORT("abort") _Noreturn void fb_abort(const void *ptr, int32_t len);
FB_IMPORT("time_ticks") int64_t fb_time_ticks(void);
FB_IMPORT("sleep_ticks") void fb_sleep_ticks(int64_t ticks);
FB_IMPORT("yield") void fb_yield(void);

/* The router: bind a URI once, then call or notify through the binding with
 * postcard-encoded records (record.h). */
FB_IMPORT("route_bind") int32_t fb_route_bind(const char *uri, int32_t uri_len);
FB_IMPORT("route_unbind") int32_t fb_route_unbind(int32_t binding);
FB_IMPORT("route_call")
int32_t fb_route_call(int32_t binding, int32_t method, const void *req, int32_t req_len);
FB_IMPORT("route_reply") int32_t fb_route_reply(void *out, int32_t cap);
/* route_call and route_reply in one builtin: the reply is copied into out when it fits
 * (the result is its length); a result larger than cap means it was kept for
 * fb_route_reply. */
FB_IMPORT("route_call_into")
int32_t fb_route_call_into(int32_t binding, int32_t method, const void *req, int32_t req_len,
                           void *out, int32_t cap);
FB_IMPORT("route_notify")
int32_t fb_route_notify(int32_t binding, int32_t method, const void *req, int32_t req_len);

/* Router methods. */
#define FB_METHOD_READ 0
#define FB_METHOD_WRITE 1
#define FB_METHOD_CALL 2

/* Statuses (>= 0 is success). */
#define FB_STATUS_OK 0
#define FB_STATUS_CLOSED (-1)
#define FB_STATUS_BAD_HANDLE (-2)
#define FB_STATUS_DENIED (-6)
#define FB_STATUS_DEAD_PEER (-7)
#define FB_STATUS_RESTARTED (-8)
#define FB_STATUS_NO_ROUTE (-9)
#define FB_STATUS_TOO_LARGE (-10)
#define FB_STATUS_QUEUE_FULL (-11)
#define FB_STATUS_BAD_MESSAGE (-12)
#define FB_STATUS_BAD_URI (-13)
#define FB_STATUS_NO_REPLY (-14)
#define FB_STATUS_NO_ROUTER (-15)
#define FB_STATUS_TABLE_FULL (-16)
#define FB_FAILED_BASE (-0x10000)

#endif
