//! Builtins linked straight into every instance: GPIO, time and sleep, ISR
//! flags, breakpoints, and the vOffloader (MMIO window, native matmul).

use std::{cell::RefCell, rc::Rc};

use fireball_subsystems::{
    hal::{
        NullConsole,
        gpio::{Gpio, GpioError, MemoryGpio, PinState},
    },
    host::BufferConsole,
    sim::SimClock,
};
use fireball_vsoc::{
    Slice, StopReason, TrapKind, Vsoc, VsocConfig,
    builtins::Pending,
    guest_memory::MemoryFault,
    kernel::sched::Executor,
    monitor::RunState,
    offload::{DeviceFault, DeviceModel, MmioFault, WINDOW_BASE},
    platform::Platform,
};

/// A GPIO bank the test can look at while the vSoC drives it.
#[derive(Clone)]
struct SharedGpio(Rc<RefCell<MemoryGpio>>);

impl Gpio for SharedGpio {
    fn pins(&self) -> u32 {
        self.0.borrow().pins()
    }
    fn is_high(&mut self, pin: u32) -> Result<bool, GpioError> {
        self.0.borrow_mut().is_high(pin)
    }
    fn set_state(&mut self, pin: u32, state: PinState) -> Result<(), GpioError> {
        self.0.borrow_mut().set_state(pin, state)
    }
    fn toggle(&mut self, pin: u32) -> Result<bool, GpioError> {
        self.0.borrow_mut().toggle(pin)
    }
}

fn board() -> (Vsoc, SharedGpio, SimClock) {
    let gpio = SharedGpio(Rc::new(RefCell::new(MemoryGpio::new(8, 0b0000_1111))));
    let clock = SimClock::new();
    let platform = Platform {
        gpio: Box::new(gpio.clone()),
        clock: Box::new(clock.clone()),
        isr: None,
    };
    let config = VsocConfig {
        yield_interval: 1_000,
        ..VsocConfig::default()
    };
    (Vsoc::with_platform(config, platform), gpio, clock)
}

/// A module importing every builtin it may need, with `body` as `fb_main`.
fn guest(body: &str) -> String {
    format!(
        r#"(module
            (import "fb" "print" (func $print (param i32 i32)))
            (import "fb" "gpio_read" (func $gpio_read (param i32) (result i32)))
            (import "fb" "gpio_write" (func $gpio_write (param i32 i32) (result i32)))
            (import "fb" "gpio_toggle" (func $gpio_toggle (param i32) (result i32)))
            (import "fb" "time_ticks" (func $now (result i64)))
            (import "fb" "sleep_ticks" (func $sleep (param i64)))
            (import "fb" "yield" (func $yield))
            (import "fb" "breakpoint" (func $breakpoint (param i32)))
            (import "fb" "irq_subscribe" (func $irq_subscribe (param i32) (result i32)))
            (import "fb" "wait_irq" (func $wait_irq (param i32) (result i32)))
            (import "fb" "mmio_read32" (func $mmio_read (param i32) (result i32)))
            (import "fb" "mmio_write32" (func $mmio_write (param i32 i32)))
            (import "fb" "matmul_f32" (func $matmul (param i32 i32 i32 i32 i32 i32)))
            (memory (export "memory") 1 1)
            (data (i32.const 0) "ok\n")
            (data (i32.const 256) "\00\00\80\3f\00\00\00\40\00\00\40\40\00\00\80\40")
            (func $check (param i32) (if (i32.eqz (local.get 0)) (then unreachable)))
            (func (export "fb_main") {body}
                (call $print (i32.const 0) (i32.const 3))))"#
    )
}

fn run_alone(vsoc: &Vsoc, body: &str) -> (Slice, String) {
    let console = BufferConsole::new();
    let module = vsoc
        .load("guest", &wat::parse_str(guest(body)).unwrap())
        .unwrap();
    let mut instance = vsoc
        .instantiate(&module, Box::new(console.clone()))
        .unwrap();
    let (slice, _) = instance.run_to_completion();
    (slice, console.contents())
}

#[test]
fn gpio_builtins_drive_the_hal_bank_and_report_bad_pins() {
    let (vsoc, gpio, _) = board();
    gpio.0.borrow_mut().set_input(5, PinState::High).unwrap();
    let body = r#"
        (call $check (i32.eqz (call $gpio_write (i32.const 1) (i32.const 1))))
        (call $check (i32.eq (call $gpio_toggle (i32.const 2)) (i32.const 1)))
        (call $check (i32.eq (call $gpio_read (i32.const 5)) (i32.const 1)))
        (call $check (i32.eq (call $gpio_read (i32.const 1)) (i32.const 1)))
        (call $check (i32.eq (call $gpio_write (i32.const 5) (i32.const 1)) (i32.const -4)))
        (call $check (i32.eq (call $gpio_toggle (i32.const 99)) (i32.const -3)))"#;
    assert_eq!(run_alone(&vsoc, body), (Slice::Finished, "ok\n".into()));
    assert_eq!(gpio.0.borrow().levels(), 0b10_0110);
    assert_eq!(gpio.0.borrow().writes(), 2);
}

#[test]
fn sleep_waits_on_the_clock_and_time_reads_it() {
    let (vsoc, _, clock) = board();
    let mut executor = Executor::new().unwrap();
    clock.advance(1_000);
    let body = r#"
        (call $check (i64.eq (call $now) (i64.const 1000)))
        (call $sleep (i64.const 50))
        (call $check (i64.ge_u (call $now) (i64.const 1050)))
        (call $sleep (i64.const -5))
        (call $yield)"#;
    let console = BufferConsole::new();
    let module = vsoc
        .load("sleeper", &wat::parse_str(guest(body)).unwrap())
        .unwrap();
    let instance = vsoc
        .instantiate(&module, Box::new(console.clone()))
        .unwrap();
    let task = vsoc.spawn(&mut executor, instance).unwrap();
    vsoc.run_until_idle(&mut executor);
    assert_eq!(
        task.monitor.state(),
        RunState::Blocked(Pending::Sleep { until: 1_050 })
    );
    clock.advance(49);
    vsoc.run_until_idle(&mut executor);
    assert_eq!(console.contents(), "");
    clock.advance(1);
    vsoc.run_until_idle(&mut executor);
    assert_eq!(console.contents(), "ok\n");
    assert_eq!(task.monitor.state(), RunState::Finished);
    assert_eq!(task.monitor.stats().yields, 1);
}

#[test]
fn isr_flags_reach_only_the_subscriber_at_a_context_switch() {
    let (vsoc, _, _) = board();
    let mut executor = Executor::new().unwrap();
    let waiter = guest(
        r#"(call $check (i32.eqz (call $irq_subscribe (i32.const 0x6))))
           (call $check (i32.eq (call $wait_irq (i32.const 0x6)) (i32.const 0x4)))"#,
    );
    // A second instance cannot claim or wait on flags it does not own.
    let thief = guest(
        r#"(call $check (i32.eq (call $irq_subscribe (i32.const 0x4)) (i32.const -5)))
           (call $check (i32.eq (call $wait_irq (i32.const 0x4)) (i32.const -5)))"#,
    );
    let console = BufferConsole::new();
    for (name, wat) in [("waiter", &waiter), ("thief", &thief)] {
        let module = vsoc.load(name, &wat::parse_str(wat).unwrap()).unwrap();
        let instance = vsoc
            .instantiate(&module, Box::new(console.clone()))
            .unwrap();
        vsoc.spawn(&mut executor, instance).unwrap();
    }
    vsoc.run_until_idle(&mut executor);
    assert_eq!(console.contents(), "ok\n", "only the thief is done");
    assert_eq!(executor.len(), 1);
    // An interrupt source raises a flag (lock-free); the next check delivers it.
    vsoc.isr_flags().raise(0x4 | 0x100);
    vsoc.run_until_idle(&mut executor);
    assert_eq!(console.contents(), "ok\nok\n");
    assert!(executor.is_empty());
    assert_eq!(vsoc.isr_flags().pending(), 0x100, "unsubscribed flags stay");
}

#[test]
fn an_armed_breakpoint_pauses_the_instance_until_continued() {
    let (vsoc, _, _) = board();
    let mut executor = Executor::new().unwrap();
    let body = r#"(call $breakpoint (i32.const 3)) (call $breakpoint (i32.const 4))"#;
    let console = BufferConsole::new();
    let module = vsoc
        .load("bp", &wat::parse_str(guest(body)).unwrap())
        .unwrap();
    let instance = vsoc
        .instantiate(&module, Box::new(console.clone()))
        .unwrap();
    let monitor = instance.monitor();
    monitor.arm_breakpoint(4).unwrap();
    for id in 100..109 {
        monitor.arm_breakpoint(id).unwrap();
    }
    assert!(monitor.arm_breakpoint(200).is_err(), "at most 10");
    let task = vsoc.spawn(&mut executor, instance).unwrap();
    vsoc.run_until_idle(&mut executor);
    assert_eq!(task.monitor.state(), RunState::Paused(4));
    assert_eq!(console.contents(), "");
    assert!(task.monitor.continue_from_breakpoint());
    vsoc.run_until_idle(&mut executor);
    assert_eq!(console.contents(), "ok\n");
    assert!(!task.monitor.continue_from_breakpoint());
}

struct Scratch([u32; 4]);

impl DeviceModel for Scratch {
    fn read32(&mut self, offset: u32) -> Result<u32, DeviceFault> {
        self.0
            .get((offset / 4) as usize)
            .copied()
            .ok_or(DeviceFault::NoRegister)
    }
    fn write32(&mut self, offset: u32, value: u32) -> Result<(), DeviceFault> {
        let reg = self
            .0
            .get_mut((offset / 4) as usize)
            .ok_or(DeviceFault::NoRegister)?;
        *reg = value;
        Ok(())
    }
}

#[test]
fn mmio_dispatches_to_device_models_and_unmapped_addresses_fault() {
    let (vsoc, _, _) = board();
    vsoc.map_device(WINDOW_BASE + 0x40, 16, Box::new(Scratch([7, 0, 0, 0])))
        .unwrap();
    let body = r#"
        (call $check (i32.eq (call $mmio_read (i32.const 0xC0000040)) (i32.const 7)))
        (call $mmio_write (i32.const 0xC0000048) (i32.const 0x1234))
        (call $check (i32.eq (call $mmio_read (i32.const 0xC0000048)) (i32.const 0x1234)))"#;
    assert_eq!(run_alone(&vsoc, body), (Slice::Finished, "ok\n".into()));
    let (Slice::Trapped(trap), _) =
        run_alone(&vsoc, "(drop (call $mmio_read (i32.const 0xC0000050)))")
    else {
        panic!("unmapped read must trap");
    };
    assert_eq!(
        trap.kind,
        TrapKind::Mmio(MmioFault::Unmapped { addr: 0xC000_0050 })
    );
}

#[test]
fn matmul_computes_in_guest_memory_and_checks_every_operand() {
    let (vsoc, _, _) = board();
    // A = [1 2; 3 4] at 256, A×A = [7 10; 15 22] at 512 (f32 bit patterns).
    let body = r#"
        (call $matmul (i32.const 256) (i32.const 256) (i32.const 512)
                      (i32.const 2) (i32.const 2) (i32.const 2))
        (call $check (i32.eq (i32.load (i32.const 512)) (i32.const 0x40e00000)))
        (call $check (i32.eq (i32.load (i32.const 516)) (i32.const 0x41200000)))
        (call $check (i32.eq (i32.load (i32.const 520)) (i32.const 0x41700000)))
        (call $check (i32.eq (i32.load (i32.const 524)) (i32.const 0x41b00000)))"#;
    assert_eq!(run_alone(&vsoc, body), (Slice::Finished, "ok\n".into()));
    // C would run past the end of the 64 KiB memory.
    let (Slice::Trapped(trap), _) = run_alone(
        &vsoc,
        r#"(call $matmul (i32.const 256) (i32.const 256) (i32.const 65530)
                         (i32.const 2) (i32.const 2) (i32.const 2))"#,
    ) else {
        panic!("an out-of-bounds operand must trap");
    };
    assert!(matches!(
        trap.kind,
        TrapKind::Fault(MemoryFault::OutOfBounds { .. })
    ));
    // Dimensions whose product overflows are refused, not wrapped.
    let (Slice::Trapped(trap), _) = run_alone(
        &vsoc,
        r#"(call $matmul (i32.const 0) (i32.const 0) (i32.const 0)
                         (i32.const 0x10000) (i32.const 0x10000) (i32.const 1))"#,
    ) else {
        panic!("overflowing dimensions must trap");
    };
    assert!(matches!(
        trap.kind,
        TrapKind::Fault(MemoryFault::TooLong { .. })
    ));
}

#[test]
fn a_trap_in_a_builtin_is_a_stop_reason_not_an_exhaustion() {
    let (vsoc, _, _) = board();
    let mut executor = Executor::new().unwrap();
    let module = vsoc
        .load(
            "bad",
            &wat::parse_str(guest("(drop (call $mmio_read (i32.const 3)))")).unwrap(),
        )
        .unwrap();
    let instance = vsoc
        .instantiate(&module, Box::new(NullConsole::default()))
        .unwrap();
    let task = vsoc.spawn(&mut executor, instance).unwrap();
    vsoc.run_until_idle(&mut executor);
    assert!(matches!(
        task.monitor.state(),
        RunState::Stopped(StopReason::Trapped(trap))
            if trap.kind == TrapKind::Mmio(MmioFault::Unaligned { addr: 3 })
    ));
}
