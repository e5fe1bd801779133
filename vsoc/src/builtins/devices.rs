//! Device builtins: GPIO on the platform's HAL bank, and the vOffloader.

use fireball_abi::{builtin, status};
use fireball_subsystems::hal::gpio::{GpioError, PinState};

use super::{BuiltinExit, Caller, HostContext, LinkError, count, define, exit, memory_and_state};
use crate::offload;

fn gpio_status(error: GpioError) -> i32 {
    match error {
        GpioError::NoSuchPin => status::NO_SUCH_PIN,
        GpioError::NotOutput => status::PIN_MODE,
    }
}

pub(super) fn link(linker: &mut wasmi::Linker<HostContext>) -> Result<(), LinkError> {
    define(
        linker,
        builtin::GPIO_READ,
        |mut caller: Caller<'_>, pin: i32| -> i32 {
            count(&mut caller);
            let result = caller.data().soc.gpio.borrow_mut().is_high(pin as u32);
            result.map_or_else(gpio_status, i32::from)
        },
    )?;
    define(
        linker,
        builtin::GPIO_WRITE,
        |mut caller: Caller<'_>, pin: i32, level: i32| -> i32 {
            count(&mut caller);
            let state = PinState::from(level != 0);
            let result = caller
                .data()
                .soc
                .gpio
                .borrow_mut()
                .set_state(pin as u32, state);
            result.map_or_else(gpio_status, |()| status::OK)
        },
    )?;
    define(
        linker,
        builtin::GPIO_TOGGLE,
        |mut caller: Caller<'_>, pin: i32| -> i32 {
            count(&mut caller);
            let result = caller.data().soc.gpio.borrow_mut().toggle(pin as u32);
            result.map_or_else(gpio_status, i32::from)
        },
    )?;
    define(
        linker,
        builtin::MMIO_READ32,
        |mut caller: Caller<'_>, addr: i32| -> Result<i32, wasmi::Error> {
            count(&mut caller);
            let value = caller.data().soc.mmio.borrow_mut().read32(addr as u32);
            value
                .map(|v| v as i32)
                .map_err(|fault| exit(BuiltinExit::Mmio(fault)))
        },
    )?;
    define(
        linker,
        builtin::MMIO_WRITE32,
        |mut caller: Caller<'_>, addr: i32, value: i32| -> Result<(), wasmi::Error> {
            count(&mut caller);
            let result = caller
                .data()
                .soc
                .mmio
                .borrow_mut()
                .write32(addr as u32, value as u32);
            result.map_err(|fault| exit(BuiltinExit::Mmio(fault)))
        },
    )?;
    define(
        linker,
        builtin::MATMUL_F32,
        |mut caller: Caller<'_>,
         a: i32,
         b: i32,
         c: i32,
         m: i32,
         k: i32,
         n: i32|
         -> Result<(), wasmi::Error> {
            let (memory, state) = memory_and_state(&mut caller)?;
            state.stats.host_calls += 1;
            offload::matmul_f32(memory, (a, b, c), (m, k, n))
                .map_err(|fault| exit(BuiltinExit::Fault(fault)))
        },
    )?;
    Ok(())
}
