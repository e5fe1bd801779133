//! The debuggee the stub borrows for the length of one call.
//!
//! gdbstub keeps its session in a state machine typed by the target, so the target type
//! cannot carry the lifetime of a `&mut dyn Debuggee` that only lives for one
//! `receive` / `poll`. [`Lent`] holds that borrow as a pointer whose lifetime is erased,
//! set by [`Lent::scope`] on entry and cleared on exit (also when unwinding), and only
//! dereferenced in between. This is the one `unsafe` of the subsystems crate.
#![allow(unsafe_code)]

use core::ptr::NonNull;

use super::Debuggee;

type Erased = NonNull<dyn Debuggee + 'static>;

/// A `&mut dyn Debuggee` lent for one call; empty between calls.
#[derive(Default)]
pub(super) struct Lent(Option<Erased>);

impl Lent {
    /// Run `f` with `debuggee` lent to `owner`'s [`Lent`] (found by `lent`).
    pub(super) fn scope<O, R>(
        owner: &mut O,
        lent: fn(&mut O) -> &mut Lent,
        debuggee: &mut dyn Debuggee,
        f: impl FnOnce(&mut O) -> R,
    ) -> R {
        struct Clear<'o, O>(&'o mut O, fn(&mut O) -> &mut Lent);
        impl<O> Drop for Clear<'_, O> {
            fn drop(&mut self) {
                (self.1)(self.0).0 = None;
            }
        }
        let ptr: NonNull<dyn Debuggee + '_> = NonNull::from(debuggee);
        // Safety: only the trait object's lifetime bound changes (same fat pointer). The
        // pointer is cleared by `Clear` before this function returns or unwinds, i.e.
        // while the `&mut` it came from is still borrowed by this call and unused by
        // anyone else, so every dereference below happens inside that borrow.
        let erased: Erased = unsafe { core::mem::transmute(ptr) };
        lent(owner).0 = Some(erased);
        let guard = Clear(owner, lent);
        f(&mut *guard.0)
    }

    /// The lent debuggee (`None` outside [`Lent::scope`]).
    pub(super) fn get(&self) -> Option<&dyn Debuggee> {
        // Safety: set only inside `scope`, where the exclusive borrow it came from is
        // held for us; the shared reference cannot outlive `&self`, and no `&mut` from
        // `get_mut` can coexist with it (that needs `&mut self`).
        self.0.map(|p| unsafe { &*p.as_ptr() })
    }

    /// The lent debuggee, mutably (`None` outside [`Lent::scope`]).
    pub(super) fn get_mut(&mut self) -> Option<&mut dyn Debuggee> {
        // Safety: as in `get`; `&mut self` makes this the only reference derived from
        // the pointer while it lives.
        self.0.map(|p| unsafe { &mut *p.as_ptr() })
    }
}
