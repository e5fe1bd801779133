//! The SAADC on the DK's analog inputs as `hal://adc/{0..4}`: AIN0–AIN3 on P0.04–P0.07 (the
//! Arduino header's A0–A3). The one-shot sequencing is `fireball_nrf5340::saadc`'s (host-tested
//! against a fake of the peripheral); this file maps its [`SaadcRegisters`] to `nrf-pac`'s
//! register block, `embassy_nrf::pac::SAADC` (the Secure alias).
//!
//! `embassy-nrf`'s own SAADC driver is not used: it only samples asynchronously, waiting for
//! `END` in a future its interrupt handler wakes, and this image has no executor. The SAADC
//! interrupt stays disabled; the driver polls the events.

use embassy_nrf::{
    Peri,
    gpio::AnyPin,
    pac::{
        self,
        saadc::vals::{ConfigMode, Gain, Psel, Refsel, Resn, Resp, Tacq, Val},
    },
    peripherals::SAADC,
};
use fireball_nrf5340::saadc::{AIN, AnalogInput, Event, Saadc, SaadcRegisters, Task};

/// `hal://adc/{n}` samples `INPUTS[n]`: AIN0–AIN3 (P0.04–P0.07). AIN7 is P0.28, LED1.
pub const INPUTS: &[AnalogInput] = &[AIN[0], AIN[1], AIN[2], AIN[3]];

/// The SAADC's registers, owned: the peripheral and its four pins are taken from
/// `embassy_nrf::init`'s singletons, so nothing else in the image can drive them.
pub struct SaadcRegs {
    _saadc: Peri<'static, SAADC>,
    _pins: [Peri<'static, AnyPin>; 4],
}

impl SaadcRegs {
    /// The registers of `saadc`, with the analog inputs `pins` (P0.04–P0.07) reserved.
    pub fn new(saadc: Peri<'static, SAADC>, pins: [Peri<'static, AnyPin>; 4]) -> Self {
        Self {
            _saadc: saadc,
            _pins: pins,
        }
    }
}

fn regs() -> pac::saadc::Saadc {
    pac::SAADC
}

impl SaadcRegisters for SaadcRegs {
    fn set_enabled(&mut self, enabled: bool) {
        regs().enable().write(|w| w.set_enable(enabled));
    }

    fn set_resolution(&mut self, bits: u8) {
        let val = match bits {
            8 => Val::_8bit,
            10 => Val::_10bit,
            14 => Val::_14bit,
            _ => Val::_12bit,
        };
        regs().resolution().write(|w| w.set_val(val));
    }

    fn connect(&mut self, channel: usize, input: Option<AnalogInput>) {
        let ch = regs().ch(channel);
        ch.pseln().write(|w| w.set_pseln(Psel::Nc));
        let Some(input) = input else {
            ch.pselp().write(|w| w.set_pselp(Psel::Nc));
            return;
        };
        ch.config().write(|w| {
            w.set_refsel(Refsel::Internal);
            w.set_gain(Gain::Gain16);
            w.set_tacq(Tacq::_10us);
            w.set_mode(ConfigMode::Se);
            w.set_resp(Resp::Bypass);
            w.set_resn(Resn::Bypass);
            w.set_burst(false);
        });
        // PSELP counts AIN0 as 1 (0 is "not connected").
        ch.pselp()
            .write(|w| w.set_pselp(Psel::from_bits(input.number() + 1)));
    }

    fn set_result_buffer(&mut self, buffer: *mut i16, samples: u16) {
        let r = regs();
        // EasyDMA takes a 32-bit RAM address: the buffer is on the stack, in RAM.
        r.result().ptr().write_value(buffer as u32);
        r.result().maxcnt().write(|w| w.set_maxcnt(samples));
    }

    fn result_amount(&self) -> u16 {
        regs().result().amount().read().amount()
    }

    fn trigger(&mut self, task: Task) {
        let r = regs();
        match task {
            Task::Start => r.tasks_start().write_value(1),
            Task::Sample => r.tasks_sample().write_value(1),
            Task::Stop => r.tasks_stop().write_value(1),
            Task::CalibrateOffset => r.tasks_calibrateoffset().write_value(1),
        }
    }

    fn event(&self, event: Event) -> bool {
        let r = regs();
        let reg = match event {
            Event::Started => r.events_started(),
            Event::End => r.events_end(),
            Event::Stopped => r.events_stopped(),
            Event::CalibrateDone => r.events_calibratedone(),
        };
        reg.read() != 0
    }

    fn clear(&mut self, event: Event) {
        let r = regs();
        let reg = match event {
            Event::Started => r.events_started(),
            Event::End => r.events_end(),
            Event::Stopped => r.events_stopped(),
            Event::CalibrateDone => r.events_calibratedone(),
        };
        reg.write_value(0);
    }
}

/// The DK's SAADC driver over [`INPUTS`], its offset calibrated (a calibration that times
/// out is reported on the console; reads still work, less accurately).
pub fn init(saadc: Peri<'static, SAADC>, pins: [Peri<'static, AnyPin>; 4]) -> Saadc<SaadcRegs> {
    let mut adc = Saadc::new(SaadcRegs::new(saadc, pins), INPUTS);
    if adc.calibrate().is_err() {
        super::console::line(format_args!("fireball: SAADC offset calibration timed out"));
    }
    adc
}
