//! A module installed at runtime survives a reset (issue 18): the deployment keeps its
//! package in a [`FlashStore`] and the next boot runs it instead of the image's module; a
//! removal forgets it (the image's module comes back); a kept package that does not pass
//! the boot's checks is left alone and the image's module runs.
//!
//! The "chip" is a byte array that outlives each boot; every boot gets a new driver over it,
//! as a board's reset does.

use std::{cell::RefCell, rc::Rc};

use embedded_storage::nor_flash::{ErrorType, NorFlash, NorFlashErrorKind, ReadNorFlash};
use fireball::deploy::Output;
use fireball_deploy::{FlashStore, MappedFlash, ModuleStore, RunOptions, Source, System};
use fireball_subsystems::host::BufferConsole;

use super::modules::{MANIFEST, Step, caller, calls, echo, keys, outcome, package, probe};

const PAGE: usize = 4096;
const SLOT: usize = 16 * PAGE;
const REGION: usize = 4 * SLOT;

/// The flash's contents, kept across boots.
type Chip = Rc<RefCell<Vec<u8>>>;

/// A driver over the chip: reads from its own copy (what the CPU maps), writes through to
/// the chip with NOR's rules (erase to 0xFF, writes clear bits).
struct ChipFlash {
    chip: Chip,
    mapped: Vec<u8>,
}

impl ChipFlash {
    fn new(chip: &Chip) -> Self {
        Self {
            chip: chip.clone(),
            mapped: chip.borrow().clone(),
        }
    }
}

impl ErrorType for ChipFlash {
    type Error = NorFlashErrorKind;
}

impl ReadNorFlash for ChipFlash {
    const READ_SIZE: usize = 1;
    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), Self::Error> {
        let at = offset as usize;
        bytes.copy_from_slice(&self.mapped[at..at + bytes.len()]);
        Ok(())
    }
    fn capacity(&self) -> usize {
        REGION
    }
}

impl NorFlash for ChipFlash {
    const WRITE_SIZE: usize = 4;
    const ERASE_SIZE: usize = PAGE;
    fn erase(&mut self, from: u32, to: u32) -> Result<(), Self::Error> {
        self.mapped[from as usize..to as usize].fill(0xFF);
        self.chip.borrow_mut().copy_from_slice(&self.mapped);
        Ok(())
    }
    fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), Self::Error> {
        let at = offset as usize;
        for (i, b) in bytes.iter().enumerate() {
            self.mapped[at + i] &= b;
        }
        self.chip.borrow_mut().copy_from_slice(&self.mapped);
        Ok(())
    }
}

impl MappedFlash for ChipFlash {
    fn mapped(&self) -> &[u8] {
        &self.mapped
    }
}

fn new_chip() -> Chip {
    Rc::new(RefCell::new(vec![0xFF; REGION]))
}

/// Boot the modules test's manifest (the echo service, a guest calling it `calls` times)
/// with its store on `chip`.
fn boot_on(chip: &Chip, calls: u32) -> (System, BufferConsole, tempfile::TempDir) {
    let (board, _) = keys();
    let (plan, dir) = fireball_tests::scratch_plan(
        MANIFEST,
        &[
            ("echo.wasm", wat::parse_str(echo("")).unwrap()),
            ("app.wasm", wat::parse_str(caller(calls)).unwrap()),
            ("board.pub", board.public_key().to_bytes().to_vec()),
        ],
    );
    let out = BufferConsole::new();
    let mut options = RunOptions::new(Rc::new(Output::Buffer(out.clone())));
    let chip = chip.clone();
    options.store = Some(Rc::new(move || {
        Box::new(FlashStore::open(ChipFlash::new(&chip), SLOT).unwrap()) as Box<dyn ModuleStore>
    }));
    let system = System::boot(&plan, options).unwrap();
    (system, out, dir)
}

fn echo_source(system: &System) -> Source {
    let modules = system.modules();
    modules
        .into_iter()
        .find(|m| m.name == "echo")
        .unwrap()
        .source
}

#[test]
fn an_installed_module_runs_again_after_a_reset_until_it_is_removed() {
    let chip = new_chip();
    let (board, _) = keys();
    let v2 = package("echo", "1.2.0", &echo("(nop)"), &["svc://echo/{x}"], &board);

    // First boot: the image's module; v2 installed through `sys://modules`.
    let (mut system, _out, _dir) = boot_on(&chip, 20);
    assert_eq!(echo_source(&system), Source::Image);
    system.run_until(50_000);
    let outcomes = probe(&mut system, vec![("v2", Step::Upload("echo", v2))]);
    system.run_until(400_000);
    assert_eq!(
        outcome(&outcomes, "v2").unwrap().str("version"),
        Some("1.2.0")
    );
    drop(system);

    // Reset: the next boot runs v2 from the store, and serves with it.
    let (mut system, out, _dir) = boot_on(&chip, 20);
    assert!(
        matches!(echo_source(&system), Source::Package { version, .. } if version.to_string() == "1.2.0")
    );
    let text = out.contents();
    assert!(
        text.contains("echo runs version 1.2.0 from the module store"),
        "{text}"
    );
    assert!(!system.run_guests(), "the guest finished in time");
    let seen = calls(&out);
    assert_eq!(seen, "o".repeat(20), "{}", out.contents());

    // Removed, then reset: the image's module again.
    let outcomes = probe(&mut system, vec![("remove", Step::Remove("echo"))]);
    // The probe's request, the manager's answer, the probe taking it.
    system.settle();
    system.settle();
    assert!(outcome(&outcomes, "remove").is_ok());
    drop(system);
    let (system, _out, _dir) = boot_on(&chip, 1);
    assert_eq!(echo_source(&system), Source::Image);
}

#[test]
fn a_kept_package_the_boot_refuses_leaves_the_image_module_running() {
    let chip = new_chip();
    let (_, other) = keys();
    // Signed with a key the image does not hold (a store written by another image, say).
    let foreign = package("echo", "9.0.0", &echo(""), &["svc://echo/{x}"], &other);
    let mut store = FlashStore::open(ChipFlash::new(&chip), SLOT).unwrap();
    store.save("echo", &foreign).unwrap();
    drop(store);
    let (mut system, out, _dir) = boot_on(&chip, 5);
    assert_eq!(echo_source(&system), Source::Image);
    let text = out.contents();
    assert!(
        text.contains("echo: the module store's package is refused"),
        "{text}"
    );
    assert!(!system.run_guests());
    assert_eq!(calls(&out), "ooooo");
}
