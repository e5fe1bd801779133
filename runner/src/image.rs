//! A deployment's firmware image, built on the host: the manifest validated and turned into
//! the generated plan the `deploy` image boots from (its modules pinned by digest and
//! embedded in flash), then the `fireball-firmware` crate of a Fireball checkout built for
//! the Cortex-M33 with the board's features. `cargo xtask deploy|sizes|flash` (this
//! repository's deployments) and `fireball run|deploy --board` (a user's project) both build
//! images here.

use std::{
    fs,
    path::{Path, PathBuf},
};

use fireball_tooling::{
    run,
    toolchain::{ARM, Cross},
};

/// The boards a `deploy` image is built for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Board {
    /// QEMU `mps2-an505` (Cortex-M33), linked against nRF5340 sizes: what CI runs.
    Qemu,
    /// The nRF5340-DK's application core (Secure): its memory map and peripherals.
    Nrf5340Dk,
}

impl Board {
    /// The board `--board NAME` names.
    pub fn from_name(name: &str) -> Result<Self, String> {
        match name {
            "qemu" | "mps2-an505" => Ok(Self::Qemu),
            "nrf5340dk" => Ok(Self::Nrf5340Dk),
            other => Err(format!(
                "no board `{other}`: the boards are `qemu` (mps2-an505) and `nrf5340dk`"
            )),
        }
    }

    /// The `deploy` image for this board: with `control`, a control port (SMP) beside the
    /// deployment. The board's log lines are defmt frames in the images without one.
    pub fn deploy_image(self, control: bool) -> Image<'static> {
        let (features, out_name) = match (self, control) {
            (Self::Qemu, false) => ("deploy,defmt", "deploy.elf"),
            (Self::Qemu, true) => ("deploy,control-port", "deploy-control.elf"),
            (Self::Nrf5340Dk, false) => ("deploy,nrf5340dk,defmt", "deploy-nrf5340dk.elf"),
            (Self::Nrf5340Dk, true) => (
                "deploy,nrf5340dk,control-port",
                "deploy-nrf5340dk-control.elf",
            ),
        };
        Image {
            bin: "deploy",
            features,
            out_name,
            debug: &[],
        }
    }

    /// The `deploy` image with a debugger port (the GDB remote protocol with LLDB's
    /// WebAssembly extensions) beside the deployment: QEMU's on UART2, the DK's on UARTE1
    /// (where the control port would be). Which components run from their instrumented
    /// debug builds is the caller's to set ([`Image::debug`]).
    pub fn debugger_image(self) -> Image<'static> {
        let (features, out_name) = match self {
            Self::Qemu => ("deploy,gdb", "deploy-gdb.elf"),
            Self::Nrf5340Dk => ("deploy,nrf5340dk,gdb,defmt", "deploy-nrf5340dk-gdb.elf"),
        };
        Image {
            bin: "deploy",
            features,
            out_name,
            debug: &[],
        }
    }
}

/// Which image, and how it is built.
#[derive(Clone, Copy, Debug)]
pub struct Image<'a> {
    /// The firmware's binary: `deploy` (or `latency`).
    pub bin: &'a str,
    /// The firmware's features, comma-separated (`deploy`, `deploy,nrf5340dk`, …).
    pub features: &'a str,
    /// The ELF's file name in [`Place::out_dir`].
    pub out_name: &'a str,
    /// Components run from their instrumented debug builds (the `gdb` image).
    pub debug: &'a [String],
}

/// Where an image is built from and where it goes.
#[derive(Clone, Debug)]
pub struct Place {
    /// The Fireball checkout whose `firmware` crate is built.
    pub sdk: PathBuf,
    /// Cargo's target directory for the Cortex-M33 build.
    pub target_dir: PathBuf,
    /// Where the generated plan, the pinned modules and the ELF go.
    pub out_dir: PathBuf,
    /// The modules the manifest names (built already).
    pub modules: PathBuf,
    /// Their debug builds (for [`Image::debug`]).
    pub debug_modules: PathBuf,
}

/// Build `image` for `manifest` at `place`; the ELF's path.
pub fn build(
    cross: &Cross,
    place: &Place,
    manifest: &Path,
    image: &Image<'_>,
) -> Result<PathBuf, String> {
    fs::create_dir_all(&place.out_dir).map_err(|e| format!("{}: {e}", place.out_dir.display()))?;
    let plan = place.out_dir.join("plan.rs");
    let debug = crate::deploy::DebugBuilds {
        dir: place.debug_modules.clone(),
        components: image.debug.to_vec(),
    };
    let PlanSource { text, ram, keys } = plan_source(
        manifest,
        &place.modules,
        &place.out_dir.join("prevalidated"),
        &debug,
    )?;
    if fs::read_to_string(&plan).ok().as_deref() != Some(text.as_str()) {
        fs::write(&plan, text).map_err(|e| format!("{}: {e}", plan.display()))?;
    }
    // The installer only where something could be installed: a manifest without keys
    // refuses every package, and its image carries no verifier.
    let features = if keys > 0 {
        format!("{},install", image.features)
    } else {
        image.features.to_owned()
    };
    let mut cmd = cross.cargo("build", ARM);
    cmd.current_dir(&place.sdk)
        .env("CARGO_TARGET_DIR", &place.target_dir)
        .env("FIREBALL_MODULES_DIR", &place.modules)
        .env("FIREBALL_PLAN", &plan)
        // The `gdb` image's RAM (`firmware/build.rs`; the others ignore it).
        .env("FIREBALL_RAM", ram.to_string())
        .args([
            "-p",
            "fireball-firmware",
            "--bin",
            image.bin,
            "--features",
            &features,
        ])
        .args(["--profile", "firmware"]);
    run(&mut cmd)?;
    let built = place.target_dir.join(ARM).join("firmware").join(image.bin);
    let elf = place.out_dir.join(image.out_name);
    fs::copy(&built, &elf).map_err(|e| format!("{}: {e}", built.display()))?;
    Ok(elf)
}

/// How an image keeps its modules in flash: LZ4 blocks (liblz4's HC mode at its highest
/// level), each compressed against one of the modules kept plain (`dict`) when that makes
/// the whole smaller, as it does when modules share an SDK (docs/perf.md, "Modules
/// compressed in flash"). The plain module needs no RAM to inflate the others against, and
/// none to compile from.
struct Flash {
    /// Which of the modules (by index) is kept plain, the dictionary of the others.
    dict: Option<usize>,
    /// Each distinct module's block, by digest (none for the dictionary).
    blocks: Vec<(fireball_vsoc::Digest, Vec<u8>)>,
}

/// How one module is kept ([`Flash::form`]).
#[derive(Debug, PartialEq)]
enum Kept<'a> {
    /// Plain: it is the dictionary.
    Dictionary,
    /// An LZ4 block, compressed against the dictionary (whose digest `dict` is) or alone.
    Block {
        block: &'a [u8],
        dict: Option<&'a fireball_vsoc::Digest>,
    },
}

impl Flash {
    /// How the module of `digest` is kept; an error for a module that was not laid out.
    fn form<'a>(
        &'a self,
        digest: &fireball_vsoc::Digest,
        modules: &'a [(&fireball_vsoc::Digest, Vec<u8>)],
    ) -> Result<Kept<'a>, String> {
        let dict = self.dict.map(|i| modules[i].0);
        if dict == Some(digest) {
            return Ok(Kept::Dictionary);
        }
        let (_, block) = self
            .blocks
            .iter()
            .find(|(d, _)| d == digest)
            .ok_or_else(|| format!("no block was made for module {}", hex(digest)))?;
        Ok(Kept::Block { block, dict })
    }

    /// Bytes of flash the modules take kept this way.
    fn bytes(&self, modules: &[(&fireball_vsoc::Digest, Vec<u8>)]) -> usize {
        self.dict.map_or(0, |i| modules[i].1.len())
            + self
                .blocks
                .iter()
                .map(|(_, block)| block.len())
                .sum::<usize>()
    }
}

/// How many modules [`keep_in_flash`] tries as the dictionary, at most.
const DICTIONARY_CANDIDATES: usize = 12;

/// The smallest way to keep `modules` (in component order, a module may repeat): every one
/// compressed alone, or one kept plain and the others compressed against it, whichever
/// takes the least flash.
fn keep_in_flash(modules: &[(&fireball_vsoc::Digest, Vec<u8>)]) -> Result<Flash, String> {
    // Each distinct module once, by its first component.
    let mut distinct: Vec<usize> = Vec::new();
    for (i, (digest, _)) in modules.iter().enumerate() {
        if !distinct.iter().any(|&j| modules[j].0 == *digest) {
            distinct.push(i);
        }
    }
    let with = |dict: Option<usize>| -> Result<Flash, String> {
        let against: &[u8] = dict.map_or(&[], |i| &modules[i].1);
        let blocks = distinct
            .iter()
            .filter(|&&i| Some(i) != dict)
            .map(|&i| Ok((*modules[i].0, compress_hc(&modules[i].1, against)?)))
            .collect::<Result<_, String>>()?;
        Ok(Flash { dict, blocks })
    };
    let mut best = with(None)?;
    if distinct.len() > 1 {
        // Each candidate costs a compression of every other module: try the largest
        // `DICTIONARY_CANDIDATES` (a module shares the most with the others when it is large).
        let mut candidates = distinct.clone();
        candidates.sort_by_key(|&i| core::cmp::Reverse(modules[i].1.len()));
        candidates.truncate(DICTIONARY_CANDIDATES);
        for i in candidates {
            let candidate = with(Some(i))?;
            if candidate.bytes(modules) < best.bytes(modules) {
                best = candidate;
            }
        }
    }
    Ok(best)
}

/// `module` as an LZ4 block (no frame, no size prefix) whose matches may reach back into
/// `dict` (empty: none), with liblz4's HC encoder at its highest level (optimal parsing).
/// `lz4_flex` decodes it on the board ([`fireball_vsoc::ModuleBytes::Lz4`]).
pub fn compress_hc(module: &[u8], dict: &[u8]) -> Result<Vec<u8>, String> {
    let mut encoder = lzzzz::lz4_hc::Compressor::with_dict(dict, lzzzz::lz4_hc::CLEVEL_MAX)
        .map_err(|e| format!("LZ4 HC: {e}"))?;
    let mut block = Vec::new();
    encoder
        .next_to_vec(module, &mut block)
        .map_err(|e| format!("LZ4 HC: {e}"))?;
    Ok(block)
}

/// A digest as lower-case hex (the pinned files' names).
fn hex(digest: &fireball_vsoc::Digest) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The generated plan and what the image's build needs to know of the manifest.
struct PlanSource {
    /// Rust source for `fn plan() -> Plan`.
    text: String,
    /// The manifest's `deployment.ram`, bytes.
    ram: u64,
    /// How many keys the manifest names (`deployment.keys`).
    keys: usize,
}

/// Rust source for `fn plan() -> Plan`: the manifest, validated, with each module validated
/// by wasmi here on the host (the firmware has no validator) and pinned by its SHA-256
/// digest. The bytes that were validated are written, LZ4-compressed, to
/// `pinned/<digest>.lz4` and `include_bytes!`-ed from there (so they stay in flash, inflated
/// only while they compile), so the image embeds exactly what was validated, whatever
/// happens to `modules` in between. The components `debug` names
/// are their instrumented debug builds (`crate::deploy::plan_debug`).
fn plan_source(
    manifest_path: &Path,
    modules: &Path,
    pinned: &Path,
    debug: &crate::deploy::DebugBuilds,
) -> Result<PlanSource, String> {
    use fireball_manifest::{Component, Manifest, Method, ModuleDirs};
    let manifest = Manifest::load(manifest_path).map_err(|e| e.to_string())?;
    let dirs = ModuleDirs {
        manifest_dir: manifest_path
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
        modules_dir: modules.to_path_buf(),
    };
    let system = crate::deploy::system_routes();
    if let Err(errors) = manifest.validate(&system, Some(&dirs)) {
        let list: Vec<String> = errors.iter().map(|e| format!("  - {e}")).collect();
        return Err(format!(
            "{}: the manifest has {} problem(s):\n{}",
            manifest_path.display(),
            errors.len(),
            list.join("\n")
        ));
    }
    // Each module read, held to the vSoC's limits and validated as the host runner does.
    let validated = crate::deploy::plan_debug(&manifest, &dirs, debug)
        .map_err(|e| format!("{}: {e}", manifest_path.display()))?;
    fs::create_dir_all(pinned).map_err(|e| format!("{}: {e}", pinned.display()))?;
    // How the modules are kept in flash (docs/perf.md, "Modules compressed in flash").
    let modules: Vec<(&fireball_vsoc::Digest, Vec<u8>)> = validated
        .components
        .iter()
        .zip(manifest.components())
        .map(|(planned, component)| {
            let module = &planned.module;
            let bytes = module
                .bytes()
                .module()
                .map_err(|e| format!("{}: {e}", component.name()))?;
            Ok((module.digest(), bytes.into_owned()))
        })
        .collect::<Result<_, String>>()?;
    let flash = keep_in_flash(&modules)?;
    let write = |name: String, bytes: &[u8]| -> Result<String, String> {
        let path = pinned.join(name);
        if fs::read(&path).ok().as_deref() != Some(bytes) {
            fs::write(&path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        }
        let path = path
            .canonicalize()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(format!("{:?}", path.display().to_string()))
    };
    let mut items = String::new();
    if let Some(index) = flash.dict {
        let (digest, bytes) = &modules[index];
        let path = write(format!("{}.wasm", hex(digest)), bytes)?;
        items += &format!(
            "/// The module kept plain in flash, which the others' LZ4 blocks are compressed\n\
             /// against.\n\
             static DICTIONARY: &[u8] = include_bytes!({path});\n"
        );
    }
    let p = &manifest.partitions;
    let mut out = format!(
        "// Generated by `cargo xtask` from the deployment manifest; do not edit.\n\
         /// Bytes of each partition, P1 to P6 (the heap is laid out before `plan()` runs).\n\
         const PARTITIONS: [usize; 6] = [{}, {}, {}, {}, {}, {}];\n\
         /// Slots of the kernel's P4 quota table (`fireball_deploy::quota_slots`).\n\
         const QUOTA_SLOTS: usize = {};\n",
        p.kernel,
        p.runtime,
        p.subsystems,
        p.services,
        p.guests,
        p.reserve,
        fireball_deploy::quota_slots(manifest.services.len()),
    );
    out += &items;
    out += "fn plan() -> fireball_deploy::Plan {\n\
         use alloc::{string::String, vec};\n\
         use fireball_deploy::{ComponentPlan, Kind, Plan};\n\
         use fireball_vsoc::Prevalidated;\n\
         #[allow(unused_imports)]\n\
         use fireball_router::Methods;\n\
         let s = |t: &str| String::from(t);\n\
         Plan {\n";
    out += &format!(
        "name: s({:?}),\nyield_interval: {},\nvalue_stack: {},\nguest_pool: {},\n\
         partitions: PARTITIONS,\ncall_timeout_us: {:?},\ncomponents: vec![\n",
        manifest.deployment.name,
        manifest.deployment.yield_interval,
        manifest.deployment.value_stack,
        manifest.partitions.guests,
        validated.call_timeout_us,
    );
    for (component, planned) in manifest.components().zip(&validated.components) {
        let module = &planned.module;
        let bytes_len = module.len();
        let digest_list: Vec<String> = module
            .digest()
            .iter()
            .map(|b| format!("{b:#04x}"))
            .collect();
        let digest_list = digest_list.join(", ");
        let kept = match flash.form(module.digest(), &modules)? {
            Kept::Dictionary => format!(
                "// Safety: `cargo xtask` validated these bytes with wasmi (`Vsoc::prevalidate`)\n\
                 // and wrote them to a file named by their SHA-256 digest, the one pinned here.\n\
                 unsafe {{ Prevalidated::new_unchecked(DICTIONARY, [{digest_list}]) }}"
            ),
            Kept::Block { block, dict } => {
                let name = match dict {
                    None => format!("{}.lz4", hex(module.digest())),
                    Some(dict) => format!("{}-{}.lz4", hex(module.digest()), &hex(dict)[..16]),
                };
                let path = write(name, block)?;
                let call = match dict {
                    None => format!("new_lz4_unchecked(include_bytes!({path}), {bytes_len}, "),
                    Some(_) => format!(
                        "new_lz4_dict_unchecked(include_bytes!({path}), {bytes_len}, DICTIONARY, "
                    ),
                };
                format!(
                    "// Safety: `cargo xtask` validated these bytes with wasmi (`Vsoc::prevalidate`)\n\
                     // and wrote them, LZ4-compressed, to a file named by their SHA-256 digest,\n\
                     // the one pinned here.\n\
                     unsafe {{ Prevalidated::{call}[{digest_list}]) }}"
                )
            }
        };
        let (kind, quota, routes) = match component {
            Component::Service(s) => ("Service", s.quota, s.routes.clone()),
            Component::Guest(_) => ("Guest", 0, Vec::new()),
        };
        let routes: Vec<String> = routes.iter().map(|r| format!("s({r:?})")).collect();
        let reach: Vec<String> = component
            .reach()
            .iter()
            .map(|r| {
                let methods: Vec<&str> = r
                    .methods
                    .iter()
                    .map(|m| match m {
                        Method::Read => "Methods::READ",
                        Method::Write => "Methods::WRITE",
                        Method::Call => "Methods::CALL",
                        Method::Subscribe => "Methods::SUBSCRIBE",
                    })
                    .collect();
                format!("(s({:?}), {})", r.route, methods.join(" | "))
            })
            .collect();
        out += &format!(
            "ComponentPlan {{ name: s({:?}), kind: Kind::{kind},\n\
             module: {kept},\n\
             quota: {quota}, routes: vec![{}], reach: vec![{}],\n\
             call_timeouts: vec![{}], lifecycle: {} }},\n",
            component.name(),
            routes.join(", "),
            reach.join(", "),
            planned
                .call_timeouts
                .iter()
                .map(|(route, us)| format!("(s({route:?}), {us})"))
                .collect::<Vec<_>>()
                .join(", "),
            lifecycle_literal(&planned.lifecycle),
        );
    }
    // The keys the board installs packages from, embedded in the image (`PublicKey::from_bytes`
    // is `const`).
    let keys: Vec<String> = validated
        .keys
        .iter()
        .map(|key| {
            let bytes: Vec<String> = key.to_bytes().iter().map(|b| format!("{b:#04x}")).collect();
            format!(
                "fireball_package::PublicKey::from_bytes([{}])",
                bytes.join(", ")
            )
        })
        .collect();
    out += &format!("],\nkeys: vec![{}],\n}}\n}}\n", keys.join(", "));
    Ok(PlanSource {
        text: out,
        ram: manifest.deployment.ram,
        keys: keys.len(),
    })
}

/// A component's [`crate::deploy::Lifecycle`] as Rust source for the generated plan.
fn lifecycle_literal(l: &crate::deploy::Lifecycle) -> String {
    if *l == crate::deploy::Lifecycle::NEVER {
        return "fireball_deploy::Lifecycle::NEVER".into();
    }
    format!(
        "fireball_deploy::Lifecycle {{ restart: fireball_deploy::Restart::{:?}, max_restarts: {}, \
         window_us: {}, backoff_us: {}, watchdog_us: {:?} }}",
        l.restart, l.max_restarts, l.window_us, l.backoff_us, l.watchdog_us
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `len` bytes that LZ4 cannot shrink (xorshift from `seed`).
    fn noise(seed: u64, len: usize) -> Vec<u8> {
        let mut x = seed;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    }

    /// Modules that share most of their bytes, as modules built with one SDK do (and that
    /// do not shrink alone).
    fn family() -> Vec<Vec<u8>> {
        let common = noise(1, 4096);
        (0..3u64)
            .map(|n| {
                let mut module = common.clone();
                module.extend(noise(100 + n, 512));
                module
            })
            .collect()
    }

    fn digests(modules: &[Vec<u8>]) -> Vec<fireball_vsoc::Digest> {
        modules
            .iter()
            .map(|m| fireball_vsoc::loader::digest(m))
            .collect()
    }

    /// Every block inflates, against the dictionary when it has one, to its module.
    fn inflates(flash: &Flash, modules: &[(&fireball_vsoc::Digest, Vec<u8>)]) {
        for (digest, bytes) in modules {
            match flash.form(digest, modules).unwrap() {
                Kept::Dictionary => {}
                Kept::Block { block, dict } => {
                    let against: &[u8] =
                        dict.map_or(&[], |d| &modules.iter().find(|(m, _)| *m == d).unwrap().1);
                    // As the board inflates it.
                    let kept = fireball_vsoc::ModuleBytes::Lz4 {
                        block: block.to_vec().leak(),
                        len: bytes.len(),
                        dict: against.to_vec().leak(),
                    };
                    assert_eq!(&kept.module().unwrap()[..], &bytes[..]);
                }
            }
        }
    }

    #[test]
    fn modules_that_share_bytes_keep_one_plain_and_the_rest_against_it() {
        let family = family();
        let d = digests(&family);
        // Component order, the second module twice (two components of one module).
        let modules: Vec<_> = [0, 1, 1, 2]
            .iter()
            .map(|&i| (&d[i], family[i].clone()))
            .collect();
        let flash = keep_in_flash(&modules).unwrap();
        let dict = flash.dict.expect("a dictionary pays here");
        // One block per other distinct module: the repeated one is kept once.
        assert_eq!(flash.blocks.len(), 2);
        assert!(
            flash
                .blocks
                .iter()
                .all(|(digest, _)| digest != modules[dict].0)
        );
        let alone: usize = family
            .iter()
            .map(|m| compress_hc(m, &[]).unwrap().len())
            .sum();
        assert!(
            flash.bytes(&modules) < alone,
            "{} vs {alone}",
            flash.bytes(&modules)
        );
        // Both components of the repeated module get the same form.
        assert_eq!(
            flash.form(modules[1].0, &modules).unwrap(),
            flash.form(modules[2].0, &modules).unwrap()
        );
        inflates(&flash, &modules);
    }

    #[test]
    fn one_module_is_compressed_alone_and_unrelated_ones_take_no_more_than_alone() {
        let family = family();
        let d = digests(&family);
        let one = vec![(&d[0], family[0].clone()), (&d[0], family[0].clone())];
        let flash = keep_in_flash(&one).unwrap();
        assert_eq!(flash.dict, None);
        assert_eq!(flash.blocks.len(), 1);
        inflates(&flash, &one);
        // Bytes with nothing in common: no block is smaller than its module, so whichever
        // layout is kept, it takes no more than the modules compressed alone.
        let unrelated: Vec<Vec<u8>> = (1..=2).map(|seed| noise(seed * 1000, 2048)).collect();
        let n = digests(&unrelated);
        let pairs = vec![(&n[0], unrelated[0].clone()), (&n[1], unrelated[1].clone())];
        let flash = keep_in_flash(&pairs).unwrap();
        let alone: usize = unrelated
            .iter()
            .map(|m| compress_hc(m, &[]).unwrap().len())
            .sum();
        assert!(flash.bytes(&pairs) <= alone);
        inflates(&flash, &pairs);
        assert!(flash.form(&d[2], &pairs).is_err(), "a module not laid out");
    }
}
