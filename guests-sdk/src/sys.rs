//! The raw builtins: real imports on `wasm32`, a recording stub on the host.

#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod imp {
    #[link(wasm_import_module = "fb")]
    unsafe extern "C" {
        #[link_name = "print"]
        fn fb_print(ptr: *const u8, len: usize);
        #[link_name = "abort"]
        fn fb_abort(ptr: *const u8, len: usize) -> !;
    }

    pub(crate) fn print(bytes: &[u8]) {
        // Safety: the pointer and length describe a live slice of our own linear
        // memory; the host only reads it, and checks the range itself.
        unsafe { fb_print(bytes.as_ptr(), bytes.len()) }
    }

    pub(crate) fn abort(message: &[u8]) -> ! {
        // Safety: as for `print`; the host never returns from `abort`.
        unsafe { fb_abort(message.as_ptr(), message.len()) }
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    pub(crate) fn print(bytes: &[u8]) {
        crate::stub::record_print(bytes);
    }

    pub(crate) fn abort(message: &[u8]) -> ! {
        panic!("guest aborted: {}", String::from_utf8_lossy(message));
    }
}

pub(crate) use imp::*;
