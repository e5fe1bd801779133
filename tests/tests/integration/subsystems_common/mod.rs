//! The rig the `subsystems_*` tests share: every simulated device in a registry
//! served by the `hal` component, a vSoC whose GPIO builtins use the same pin
//! bank and whose ISR flags the devices raise, and guests built from WAT that
//! talk to the router through the `route_*` builtins.
#![allow(dead_code)]

use std::fmt::Write as _;

use fireball_router::{Method, Methods, Record, Router, RouterAuthority, RouterConfig};
use fireball_subsystems::{
    hal::{Device, DeviceRegistry, IrqLine},
    hal_service::{HalConfig, HalService, ROUTES},
    host::BufferConsole,
    sim::{
        ClimateSensor, RadioMedium, SimAdc, SimClock, SimGpio, SimI2cBus, SimRadio, SimUart,
        SpiLoopback, Waveform,
    },
};
use fireball_vsoc::{
    Vsoc, VsocConfig, VsocEvent,
    kernel::sched::Executor,
    platform::{IsrFlags, Platform},
};

/// ISR flag bits the devices raise.
pub const UART_IRQ: u32 = 1 << 0;
pub const GPIO_IRQ: u32 = 1 << 1;
pub const ADC_IRQ: u32 = 1 << 2;
/// The input pin whose edges raise `GPIO_IRQ`.
pub const EDGE_PIN: u32 = 8;

pub struct Rig {
    pub router: Router,
    /// The boot code's power over the router's policy.
    pub authority: RouterAuthority,
    pub vsoc: Vsoc,
    pub executor: Executor,
    pub clock: SimClock,
    pub gpio: SimGpio,
    pub uart: SimUart,
    pub isr: &'static IsrFlags,
    /// Another node on the air `hal://radio/0` transmits on.
    pub remote: SimRadio,
}

/// Every device, the `hal` task spawned, `app` allowed every method on every hal route.
pub fn rig() -> Rig {
    rig_with(RouterConfig::default())
}

/// [`rig`] with a router configured as `config` says (its limits, say).
pub fn rig_with(config: RouterConfig) -> Rig {
    let clock = SimClock::new();
    let isr: &'static IsrFlags = Box::leak(Box::new(IsrFlags::new()));
    let gpio = SimGpio::new(clock.clone(), 16, 0x00ff);
    gpio.on_edges(1 << EDGE_PIN, IrqLine::new(isr, GPIO_IRQ));
    let uart = SimUart::new();
    uart.on_receive(IrqLine::new(isr, UART_IRQ));
    let adc = SimAdc::new(
        clock.clone(),
        12,
        &[
            Waveform::Constant { level: 2048 },
            Waveform::Steps {
                levels: [0, 1000, 2000, 4095],
                dwell_us: 100,
            },
        ],
    )
    .with_irq(IrqLine::new(isr, ADC_IRQ));
    let mut i2c = SimI2cBus::new();
    i2c.attach(
        ClimateSensor::ADDRESS,
        Box::new(ClimateSensor::new(clock.clone())),
    );
    let air = RadioMedium::new(4);
    let radio = air.join();
    let remote = air.join();
    let mut devices = DeviceRegistry::<16>::new();
    devices.register(0, Device::Radio(Box::new(radio))).unwrap();
    devices
        .register(0, Device::Gpio(Box::new(gpio.clone())))
        .unwrap();
    devices.register(0, Device::Adc(Box::new(adc))).unwrap();
    devices
        .register(0, Device::Uart(Box::new(uart.clone())))
        .unwrap();
    devices.register(0, Device::I2c(Box::new(i2c))).unwrap();
    devices
        .register(0, Device::Spi(Box::new(SpiLoopback::new())))
        .unwrap();
    devices
        .register(0, Device::Timer(Box::new(clock.clone())))
        .unwrap();

    let (router, authority) = Router::new(config);
    let hal = HalService::register(&router, devices, HalConfig::default()).unwrap();
    for route in ROUTES {
        authority
            .allow("app", route, Methods::READ | Methods::WRITE | Methods::CALL)
            .unwrap();
    }
    let platform = Platform {
        gpio: Box::new(gpio.clone()),
        clock: Box::new(SimClock::new()),
        isr: Some(isr),
    };
    let config = VsocConfig {
        yield_interval: 5_000,
        ..VsocConfig::default()
    };
    let vsoc = Vsoc::with_platform(config, platform);
    vsoc.attach_router(router.clone());
    let mut executor = Executor::new().unwrap();
    executor.spawn("hal", hal.run()).unwrap();
    Rig {
        router,
        authority,
        vsoc,
        executor,
        clock,
        gpio,
        uart,
        isr,
        remote,
    }
}

pub fn data(bytes: &[u8]) -> String {
    let mut out = String::new();
    for b in bytes {
        write!(out, "\\{b:02x}").unwrap();
    }
    out
}

pub fn method_number(method: Method) -> i32 {
    match method {
        Method::Read => 0,
        Method::Write => 1,
        Method::Call => 2,
        Method::Subscribe => 99,
    }
}

/// A guest that waits for `irq` first when given (subscribing to it), then binds
/// `uri`, calls it once and prints `R` + the reply, or `E` + the status (LE i32).
pub fn caller_wat(uri: &str, method: Method, request: &Record, irq: Option<u32>) -> String {
    // Up to what `route_call` takes: a test may raise the router's limits that far.
    let limits = fireball_router::Limits {
        max_bytes: fireball_abi::limits::MAX_ROUTE_MESSAGE,
        ..Default::default()
    };
    let request = request.encode(&limits).unwrap();
    let wait = match irq {
        Some(mask) => format!(
            "(drop (call $irq_subscribe (i32.const {mask})))
             (drop (call $wait_irq (i32.const {mask})))"
        ),
        None => String::new(),
    };
    format!(
        r#"(module
            (import "fb" "print" (func $print (param i32 i32)))
            (import "fb" "irq_subscribe" (func $irq_subscribe (param i32) (result i32)))
            (import "fb" "wait_irq" (func $wait_irq (param i32) (result i32)))
            (import "fb" "route_bind" (func $bind (param i32 i32) (result i32)))
            (import "fb" "route_call" (func $call (param i32 i32 i32 i32) (result i32)))
            (import "fb" "route_reply" (func $reply (param i32 i32) (result i32)))
            (memory (export "memory") 1 1)
            (data (i32.const 0) "{uri}")
            (data (i32.const 256) "{req}")
            (func $fail (param i32)
                (i32.store8 (i32.const 2048) (i32.const 69))
                (i32.store (i32.const 2049) (local.get 0))
                (call $print (i32.const 2048) (i32.const 5)))
            (func (export "fb_main") (local $b i32) (local $n i32)
                {wait}
                (local.set $b (call $bind (i32.const 0) (i32.const {uri_len})))
                (if (i32.lt_s (local.get $b) (i32.const 0))
                    (then (call $fail (local.get $b)) (return)))
                (local.set $n (call $call (local.get $b) (i32.const {method})
                    (i32.const 256) (i32.const {req_len})))
                (if (i32.lt_s (local.get $n) (i32.const 0))
                    (then (call $fail (local.get $n)) (return)))
                (local.set $n (call $reply (i32.const 1024) (i32.const 1024)))
                (i32.store8 (i32.const 1023) (i32.const 82))
                (call $print (i32.const 1023) (i32.add (local.get $n) (i32.const 1)))))"#,
        uri = uri,
        uri_len = uri.len(),
        req = data(&request),
        req_len = request.len(),
        method = method_number(method),
    )
}

/// What a caller guest printed: the reply record, or the status.
pub fn outcome(printed: &[u8]) -> Result<Record, i32> {
    match printed {
        [b'R', reply @ ..] => Ok(Record::decode(reply, &Default::default()).unwrap()),
        [b'E', a, b, c, d] => Err(i32::from_le_bytes([*a, *b, *c, *d])),
        other => panic!("guest printed {other:?}"),
    }
}

/// Load `wat` as module `name` and spawn it; returns its console.
pub fn spawn_guest(rig: &mut Rig, name: &str, wat: &str) -> BufferConsole {
    let bytes = wat::parse_str(wat).unwrap();
    let module = rig.vsoc.load(name, &bytes).unwrap();
    let console = BufferConsole::new();
    let instance = rig
        .vsoc
        .instantiate(&module, Box::new(console.clone()))
        .unwrap();
    rig.vsoc.spawn(&mut rig.executor, instance).unwrap();
    console
}

/// Load `bytes` as module `name`, register it as a service of `routes` (inbox 4) and spawn
/// it; returns its console.
pub fn spawn_service(rig: &mut Rig, name: &str, bytes: &[u8], routes: &[&str]) -> BufferConsole {
    let module = rig.vsoc.load(name, bytes).unwrap();
    let console = BufferConsole::new();
    let instance = rig
        .vsoc
        .instantiate(&module, Box::new(console.clone()))
        .unwrap();
    rig.vsoc.register_service(&instance, routes, 4).unwrap();
    rig.vsoc.spawn(&mut rig.executor, instance).unwrap();
    console
}

/// Run until idle and expect the guests to have finished (not trapped).
pub fn run_to_finish(rig: &mut Rig) {
    rig.vsoc.run_for(&mut rig.executor, 10_000);
    while let Some(event) = rig.vsoc.pop_event() {
        assert!(matches!(event, VsocEvent::Finished { .. }), "{event:?}");
    }
}

/// One call from a guest named `name`: the reply or the status.
pub fn guest_call(
    rig: &mut Rig,
    name: &str,
    uri: &str,
    method: Method,
    request: Record,
) -> Result<Record, i32> {
    let console = spawn_guest(rig, name, &caller_wat(uri, method, &request, None));
    run_to_finish(rig);
    outcome(&console.bytes())
}
