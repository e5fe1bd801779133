//! The nRF5340-DK's LEDs and buttons as one GPIO bank, as `hal://gpio/{pin}` numbers them:
//! pins 0–3 are LED1–LED4 (P0.28–P0.31, outputs), pins 4–7 buttons 1–4 (P0.23, P0.24, P0.08,
//! P0.09, inputs with pull-ups). Both are active low on the DK; the bank speaks in logical
//! levels: high = LED lit, high = button pressed.

use embassy_nrf::{
    Peri,
    gpio::{AnyPin, Input, Level, Output, OutputDrive, Pull},
};
use fireball_subsystems::hal::gpio::{Gpio, GpioError, PinState};

/// LEDs first, then buttons.
const LEDS: u32 = 4;
const PINS: u32 = 8;

/// LED1–4 and buttons 1–4.
pub struct DkGpio {
    leds: [Output<'static>; 4],
    buttons: [Input<'static>; 4],
}

impl DkGpio {
    /// The bank over `leds` (off at start) and `buttons`.
    pub fn new(leds: [Peri<'static, AnyPin>; 4], buttons: [Peri<'static, AnyPin>; 4]) -> Self {
        Self {
            // Active low: driven high is off.
            leds: leds.map(|pin| Output::new(pin, Level::High, OutputDrive::Standard)),
            buttons: buttons.map(|pin| Input::new(pin, Pull::Up)),
        }
    }
}

impl Gpio for DkGpio {
    fn pins(&self) -> u32 {
        PINS
    }

    fn is_high(&mut self, pin: u32) -> Result<bool, GpioError> {
        match pin {
            0..LEDS => Ok(self.leds[pin as usize].is_set_low()),
            LEDS..PINS => Ok(self.buttons[(pin - LEDS) as usize].is_low()),
            _ => Err(GpioError::NoSuchPin),
        }
    }

    fn set_state(&mut self, pin: u32, state: PinState) -> Result<(), GpioError> {
        let led = match pin {
            0..LEDS => &mut self.leds[pin as usize],
            LEDS..PINS => return Err(GpioError::NotOutput),
            _ => return Err(GpioError::NoSuchPin),
        };
        match state {
            PinState::High => led.set_low(),
            PinState::Low => led.set_high(),
        }
        Ok(())
    }
}
