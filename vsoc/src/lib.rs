//! The virtual SoC: where guest and service modules execute.
//!
//! The vSoC takes untrusted WebAssembly bytes, checks them ([`loader`]),
//! instantiates them on the wasmi interpreter with their builtins linked in
//! ([`builtins`]), and runs each instance in *slices* of at most
//! [`VsocConfig::yield_interval`] fuel units ([`instance`]). An instance that
//! runs out of fuel is suspended and resumed on its next slice, so a guest in
//! an infinite loop cannot starve anyone: the kernel runs one slice per turn.
//!
//! Everything a module hands the host (pointers, lengths) is an allegation
//! until [`guest_memory`] has checked it against that module's own memory.
//!
//! Depends on: `fireball-abi` (the import names), `fireball-subsystems`
//! (HAL backend traits such as the console), `wasmi`. `no_std` + `alloc`.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod builtins;
pub mod config;
pub mod guest_memory;
pub mod instance;
pub mod loader;

pub use config::VsocConfig;
pub use instance::{Instance, InstanceError, Slice, Trap, TrapKind};
pub use loader::{LoadError, LoadedModule, ModuleInfo};

use alloc::boxed::Box;
use fireball_subsystems::hal::Console;

/// One vSoC: an engine configured for resumable, fuel-metered execution.
///
/// Modules compiled by one `Vsoc` can only be instantiated by it.
pub struct Vsoc {
    engine: wasmi::Engine,
    config: VsocConfig,
}

impl Vsoc {
    /// A vSoC with the given configuration.
    pub fn new(config: VsocConfig) -> Self {
        let mut wasm = wasmi::Config::default();
        wasm.consume_fuel(true)
            // Lazy translation cannot resume after running out of fuel (recipe).
            .compilation_mode(wasmi::CompilationMode::Eager)
            .wasm_custom_page_sizes(true)
            .set_max_recursion_depth(config.max_call_depth)
            // The default value stack cap (1 MiB) is far beyond an MCU's RAM.
            .set_max_stack_height(config.max_value_stack);
        Self {
            engine: wasmi::Engine::new(&wasm),
            config,
        }
    }

    /// The configuration this vSoC runs with.
    pub fn config(&self) -> &VsocConfig {
        &self.config
    }

    /// Check and compile an untrusted module.
    pub fn load(&self, name: &str, bytes: &[u8]) -> Result<LoadedModule, LoadError> {
        loader::load(&self.engine, &self.config, name, bytes)
    }

    /// Instantiate a loaded module whose console output goes to `console`.
    pub fn instantiate(
        &self,
        module: &LoadedModule,
        console: Box<dyn Console>,
    ) -> Result<Instance, InstanceError> {
        Instance::new(&self.engine, &self.config, module, console)
    }
}

impl Default for Vsoc {
    fn default() -> Self {
        Self::new(VsocConfig::default())
    }
}
