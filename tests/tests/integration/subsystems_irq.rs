//! Interrupt sources: a simulated device raises the vSoC's ISR flag and the
//! guest waiting on it (`wait_irq`) wakes — UART receive (then the guest reads
//! the bytes through `hal://uart/0`), GPIO edge, ADC conversion done; and the nRF5340's
//! GPIOTE edges (`fireball_nrf5340::gpiote::Edges`, the DK's buttons) on the same path.

use crate::subsystems_common;

use fireball_router::{Method, Record, Registration, from_record};
use fireball_subsystems::{hal::gpio::PinState, hal_service::Data};
use subsystems_common::{
    ADC_IRQ, EDGE_PIN, GPIO_IRQ, UART_IRQ, caller_wat, outcome, rig, run_to_finish, spawn_guest,
};

fn blocked_on_irq(rig: &subsystems_common::Rig) -> bool {
    rig.vsoc
        .dump(&rig.executor)
        .to_string()
        .contains("wait for ISR flags")
}

#[test]
fn uart_receive_wakes_the_waiting_guest_which_reads_the_bytes_over_the_router() {
    let mut rig = rig();
    let wat = caller_wat("hal://uart/0", Method::Read, &Record::new(), Some(UART_IRQ));
    let console = spawn_guest(&mut rig, "app", &wat);
    rig.vsoc.run_for(&mut rig.executor, 1_000);
    assert!(blocked_on_irq(&rig), "{}", rig.vsoc.dump(&rig.executor));
    assert!(console.bytes().is_empty());
    rig.uart.inject(b"ping");
    assert_eq!(rig.isr.pending() & UART_IRQ, UART_IRQ);
    run_to_finish(&mut rig);
    let reply = outcome(&console.bytes()).unwrap();
    assert_eq!(from_record::<Data>(&reply).unwrap().data, b"ping");
}

#[test]
fn a_gpio_edge_wakes_the_waiting_guest() {
    let mut rig = rig();
    let wat = caller_wat("hal://gpio/8", Method::Read, &Record::new(), Some(GPIO_IRQ));
    let console = spawn_guest(&mut rig, "app", &wat);
    rig.vsoc.run_for(&mut rig.executor, 1_000);
    assert!(blocked_on_irq(&rig));
    rig.gpio.set_input(EDGE_PIN, PinState::High).unwrap();
    run_to_finish(&mut rig);
    let reply = outcome(&console.bytes()).unwrap();
    assert_eq!(
        reply.bool("high"),
        Some(true),
        "the guest saw the new level"
    );
}

#[test]
fn an_adc_conversion_wakes_the_guest_waiting_for_it() {
    let mut rig = rig();
    let wat = caller_wat("hal://timer/0", Method::Read, &Record::new(), Some(ADC_IRQ));
    let console = spawn_guest(&mut rig, "app", &wat);
    rig.vsoc.run_for(&mut rig.executor, 1_000);
    assert!(blocked_on_irq(&rig));
    // A native component starts a conversion through the router.
    let mut native = rig.router.register(Registration::new("app2", &[])).unwrap();
    rig.authority
        .allow(
            "app2",
            "hal://adc/{channel}",
            fireball_router::Methods::READ,
        )
        .unwrap();
    rig.executor
        .spawn("native", async move {
            let adc = native.bind("hal://adc/1").unwrap();
            native
                .call(&adc, Method::Read, Record::new())
                .await
                .unwrap();
        })
        .unwrap();
    run_to_finish(&mut rig);
    assert!(outcome(&console.bytes()).is_ok());
    assert_eq!(rig.isr.pending() & ADC_IRQ, 0, "the guest took the flag");
}

/// GPIOTE's registers as far as `Edges` needs them: one channel's event latched per edge.
#[derive(Default)]
struct Gpiote {
    events: std::cell::Cell<u32>,
}

impl fireball_nrf5340::gpiote::GpioteRegisters for &Gpiote {
    fn watch(&mut self, _channel: usize, _pin: fireball_nrf5340::gpiote::Pin) {}
    fn enable_interrupt(&mut self, _channel: usize) {}
    fn event(&self, channel: usize) -> bool {
        self.events.get() & (1 << channel) != 0
    }
    fn clear(&mut self, channel: usize) {
        self.events.set(self.events.get() & !(1 << channel));
    }
}

#[test]
fn an_nrf_button_edge_through_gpiote_wakes_the_guest_waiting_on_its_flag() {
    use fireball_nrf5340::gpiote::{Edges, Pin};
    use fireball_subsystems::hal::IrqLine;

    let mut rig = rig();
    // The DK's button 1 (hal pin 4) raises ISR flag 4, as `firmware/src/nrf5340/buttons.rs`
    // wires it.
    const BUTTON_FLAG: u32 = 1 << 4;
    let gpiote: &'static Gpiote = Box::leak(Box::default());
    let mut edges = Edges::new(
        gpiote,
        [Pin {
            port: 0,
            number: 23,
        }],
    );
    edges.connect([IrqLine::new(rig.isr, BUTTON_FLAG)]);
    let wat = caller_wat(
        "hal://timer/0",
        Method::Read,
        &Record::new(),
        Some(BUTTON_FLAG),
    );
    let console = spawn_guest(&mut rig, "app", &wat);
    rig.vsoc.run_for(&mut rig.executor, 1_000);
    assert!(blocked_on_irq(&rig));
    // No edge yet: the interrupt handler finds nothing, the guest keeps waiting.
    assert_eq!(edges.on_interrupt(), 0);
    rig.vsoc.run_for(&mut rig.executor, 1_000);
    assert!(blocked_on_irq(&rig));
    // The button is pressed: GPIOTE latches EVENTS_IN[0], its interrupt runs the handler.
    gpiote.events.set(1);
    assert_eq!(edges.on_interrupt(), 1);
    assert_eq!(rig.isr.pending() & BUTTON_FLAG, BUTTON_FLAG);
    run_to_finish(&mut rig);
    assert!(outcome(&console.bytes()).is_ok());
    assert_eq!(
        rig.isr.pending() & BUTTON_FLAG,
        0,
        "the guest took the flag"
    );
}
