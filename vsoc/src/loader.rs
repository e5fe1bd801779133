//! The module loader: untrusted bytes in, a checked and compiled module out.
//!
//! Loading happens in two passes, and neither can panic on bad input:
//!
//! 1. A section pass (wasmparser) reads the module's shape — imports,
//!    exports, functions, tables, memory — and holds it to the
//!    [`VsocConfig`] limits and to the builtins this vSoC provides.
//! 2. wasmi validates and compiles every function eagerly (lazy translation
//!    cannot resume after running out of fuel).
//!
//! A firmware image does not carry wasmi's validator: its modules were validated when the
//! image was built ([`Vsoc::prevalidate`](crate::Vsoc::prevalidate), feature `validate`),
//! pinned by their SHA-256 digest, and are loaded as [`Prevalidated`] modules: the section
//! pass still runs on the device, then wasmi compiles them without validating again.

use alloc::{
    borrow::Cow,
    format,
    string::{String, ToString},
    sync::Arc,
    vec,
    vec::Vec,
};
use core::fmt;

use fireball_abi::ENTRY;

use crate::{builtins, config::VsocConfig};

/// Why a module was refused. The module is at fault in every case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoadError {
    /// The module is larger than [`VsocConfig::max_module_bytes`].
    TooLarge {
        /// Bytes of the module.
        size: usize,
        /// Largest module accepted.
        limit: usize,
    },
    /// The bytes are not a well-formed WebAssembly module.
    Malformed {
        /// Byte offset of the first malformed part.
        offset: usize,
        /// What is wrong there (the parser's words).
        reason: String,
    },
    /// Well-formed, but wasmi refused it (invalid code or an unsupported proposal).
    Invalid {
        /// What is wrong (wasmi's words).
        reason: String,
    },
    /// The module imports something the vSoC does not provide.
    UnknownImport {
        /// The import's module name.
        module: String,
        /// The import's field name.
        name: String,
    },
    /// The module does not export its entry point `fb_main`.
    MissingEntry,
    /// More functions than [`VsocConfig::max_functions`].
    TooManyFunctions {
        /// Functions the module defines and imports.
        count: u32,
        /// Most functions accepted.
        limit: u32,
    },
    /// More tables than [`VsocConfig::max_tables`].
    TooManyTables {
        /// Tables the module declares.
        count: u32,
        /// Most tables accepted.
        limit: u32,
    },
    /// A table declares more elements than [`VsocConfig::max_table_elements`].
    TableTooLarge {
        /// Elements the table may hold (its maximum, or its minimum without one).
        elements: u64,
        /// Most elements accepted.
        limit: u64,
    },
    /// More than one linear memory, a shared memory, or a 64-bit memory.
    UnsupportedMemory {
        /// Which of these it is.
        reason: &'static str,
    },
    /// The linear memory may grow beyond [`VsocConfig::max_memory_bytes`].
    MemoryTooLarge {
        /// Bytes the memory may grow to (its declared maximum; `u64::MAX` without one).
        bytes: u64,
        /// Most bytes accepted.
        limit: u64,
    },
    /// A [`Prevalidated`] module's bytes are not the bytes that were validated: their
    /// SHA-256 digest differs from the pinned one (feature `check-digest`).
    DigestMismatch {
        /// The digest pinned when the module was validated.
        pinned: Digest,
        /// The digest of the bytes at hand.
        actual: Digest,
    },
    /// A module kept compressed ([`ModuleBytes::Lz4`]) does not inflate to its size.
    Inflate {
        /// The size it should inflate to.
        expected: usize,
        /// What went wrong.
        reason: String,
    },
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge { size, limit } => {
                write!(f, "module is {size} bytes, the limit is {limit}")
            }
            Self::Malformed { offset, reason } => {
                write!(f, "malformed module at byte {offset}: {reason}")
            }
            Self::Invalid { reason } => write!(f, "invalid module: {reason}"),
            Self::UnknownImport { module, name } => {
                write!(
                    f,
                    "module imports `{module}::{name}`, which Fireball does not provide"
                )
            }
            Self::MissingEntry => write!(f, "module does not export `{ENTRY}`"),
            Self::TooManyFunctions { count, limit } => {
                write!(f, "module has {count} functions, the limit is {limit}")
            }
            Self::TooManyTables { count, limit } => {
                write!(f, "module has {count} tables, the limit is {limit}")
            }
            Self::TableTooLarge { elements, limit } => {
                write!(
                    f,
                    "a table declares {elements} elements, the limit is {limit}"
                )
            }
            Self::UnsupportedMemory { reason } => write!(f, "unsupported memory: {reason}"),
            Self::MemoryTooLarge { bytes, limit } => write!(
                f,
                "linear memory may grow to {bytes} bytes, the limit is {limit} \
                 (declare a maximum, or use custom page sizes)"
            ),
            Self::DigestMismatch { pinned, actual } => write!(
                f,
                "module bytes have SHA-256 {}, not the validated module's {}",
                Hex(actual),
                Hex(pinned)
            ),
            Self::Inflate { expected, reason } => write!(
                f,
                "compressed module does not inflate to its {expected} bytes: {reason}"
            ),
        }
    }
}

/// A SHA-256 digest.
pub type Digest = [u8; 32];

/// A digest as lowercase hex.
struct Hex<'a>(&'a Digest);

impl fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

/// The SHA-256 digest of `bytes`.
#[cfg(any(feature = "validate", feature = "check-digest"))]
pub fn digest(bytes: &[u8]) -> Digest {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes).into()
}

/// A module's bytes that wasmi's validator has accepted, pinned by their SHA-256 digest:
/// what [`Vsoc::load_prevalidated`](crate::Vsoc::load_prevalidated) loads without
/// validating again (and so without wasmi's validator in the image).
///
/// Made two ways:
///
/// - [`Vsoc::prevalidate`](crate::Vsoc::prevalidate) (feature `validate`, the host):
///   validates the bytes now and pins their digest. `cargo xtask deploy` does this for
///   every module of a manifest and writes the digests into the image's generated plan;
///   the host runner does it for every plan it builds.
/// - [`Prevalidated::new_unchecked`] (`unsafe`): in the generated plan of a firmware
///   image, for bytes and a digest the build pinned.
///
/// With feature `check-digest`, loading recomputes the digest and refuses bytes that do
/// not match ([`LoadError::DigestMismatch`]); without it, the build's check is the only one.
#[derive(Clone)]
pub struct Prevalidated {
    bytes: ModuleBytes,
    digest: Digest,
}

/// Where a module's bytes live: in flash (a board image's `include_bytes!`), plain or
/// LZ4-compressed, or in one shared heap buffer (a module read from a file by the host
/// runner, or a package installed at runtime). Copies of a [`Prevalidated`] share the
/// buffer: a deployment that keeps a module for restarts and rollbacks does not copy its
/// bytes again, and the buffer is freed with its last holder.
#[derive(Clone, Debug)]
pub enum ModuleBytes {
    /// Bytes that live as long as the program (flash on a board).
    Static(&'static [u8]),
    /// Bytes on the heap, shared by every copy.
    Shared(Arc<[u8]>),
    /// An LZ4 block (no frame, no size prefix) that inflates to `len` bytes: how an image
    /// keeps its modules in flash ([`compress`]). Inflated into the current placement each
    /// time the module is compiled, and freed once it is. Its matches may reach back into
    /// `dict`, bytes that precede it (an image's shared dictionary: another of its modules,
    /// kept plain in flash, so inflating needs no RAM for it); empty for none.
    Lz4 {
        /// The compressed block.
        block: &'static [u8],
        /// The module's size, inflated.
        len: usize,
        /// The dictionary the block was compressed against (empty: none).
        dict: &'static [u8],
    },
}

impl ModuleBytes {
    /// The module's size in bytes (inflated).
    pub fn len(&self) -> usize {
        match self {
            Self::Static(bytes) => bytes.len(),
            Self::Shared(bytes) => bytes.len(),
            Self::Lz4 { len, .. } => *len,
        }
    }

    /// Whether the module has no bytes (never a valid module).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes as kept: a module's own, or its compressed block.
    pub fn stored(&self) -> &[u8] {
        match self {
            Self::Static(bytes) => bytes,
            Self::Shared(bytes) => bytes,
            Self::Lz4 { block, .. } => block,
        }
    }

    /// The module's bytes: borrowed, or inflated into a new buffer (allocated in the
    /// current placement). A block that does not inflate to exactly `len` bytes (flash
    /// corrupted, or not what the build wrote) is refused.
    // Cold (boot, restarts, teardown): compiled for size in the firmware
    // (docs/perf.md, "Cold code in the hot crates").
    #[cfg_attr(fireball_size_hints, optimize(size))]
    #[inline(never)]
    pub fn module(&self) -> Result<Cow<'_, [u8]>, LoadError> {
        match self {
            Self::Static(bytes) => Ok(Cow::Borrowed(bytes)),
            Self::Shared(bytes) => Ok(Cow::Borrowed(bytes)),
            Self::Lz4 { block, len, dict } => {
                let mut module = vec![0; *len];
                match lz4_flex::block::decompress_into_with_dict(block, &mut module, dict) {
                    Ok(n) if n == *len => Ok(Cow::Owned(module)),
                    Ok(n) => Err(LoadError::Inflate {
                        expected: *len,
                        reason: format!("inflates to {n} bytes"),
                    }),
                    Err(e) => Err(LoadError::Inflate {
                        expected: *len,
                        reason: e.to_string(),
                    }),
                }
            }
        }
    }
}

/// `module` as an LZ4 block, for [`ModuleBytes::Lz4`] (what an image builder embeds).
#[cfg(feature = "validate")]
pub fn compress(module: &[u8]) -> Vec<u8> {
    lz4_flex::block::compress(module)
}

impl From<&'static [u8]> for ModuleBytes {
    fn from(bytes: &'static [u8]) -> Self {
        Self::Static(bytes)
    }
}

impl From<Vec<u8>> for ModuleBytes {
    fn from(bytes: Vec<u8>) -> Self {
        Self::Shared(bytes.into())
    }
}

impl From<Arc<[u8]>> for ModuleBytes {
    fn from(bytes: Arc<[u8]>) -> Self {
        Self::Shared(bytes)
    }
}

impl Prevalidated {
    /// Pin `bytes` as validated, under `digest`.
    ///
    /// # Safety
    ///
    /// `bytes` must be a module that wasmi's validator accepted with a [`Vsoc`]'s engine
    /// configuration (as [`Vsoc::prevalidate`](crate::Vsoc::prevalidate) does, with the same
    /// wasmi version), and `digest` its SHA-256 digest. Compiling bytes wasmi has not
    /// validated is undefined behaviour ([`wasmi::Module::new_unchecked`]). With feature
    /// `check-digest` the bytes are checked against `digest` before they are compiled, so
    /// then it is enough that `digest` is the digest of a module that was validated.
    ///
    /// [`Vsoc`]: crate::Vsoc
    #[allow(unsafe_code)]
    pub const unsafe fn new_unchecked(bytes: &'static [u8], digest: Digest) -> Self {
        Self {
            bytes: ModuleBytes::Static(bytes),
            digest,
        }
    }

    /// An LZ4 block that inflates to `len` bytes ([`compress`]), pinned as validated under
    /// `digest`: how an image keeps its modules in flash.
    ///
    /// # Safety
    ///
    /// As [`Prevalidated::new_unchecked`], for the bytes the block inflates to (a block that
    /// does not inflate to `len` bytes is refused when the module is loaded).
    #[allow(unsafe_code)]
    pub const unsafe fn new_lz4_unchecked(
        block: &'static [u8],
        len: usize,
        digest: Digest,
    ) -> Self {
        // Safety: the caller's promise.
        unsafe { Self::new_lz4_dict_unchecked(block, len, &[], digest) }
    }

    /// [`Prevalidated::new_lz4_unchecked`] for a block compressed against `dict` (its
    /// matches reach back into those bytes, which precede it): an image's modules share one
    /// dictionary, another module kept plain in flash.
    ///
    /// # Safety
    ///
    /// As [`Prevalidated::new_lz4_unchecked`], for the bytes the block inflates to against
    /// `dict` (the very bytes it was compressed against: others may inflate to the right
    /// size but to other bytes).
    #[allow(unsafe_code)]
    pub const unsafe fn new_lz4_dict_unchecked(
        block: &'static [u8],
        len: usize,
        dict: &'static [u8],
        digest: Digest,
    ) -> Self {
        Self {
            bytes: ModuleBytes::Lz4 { block, len, dict },
            digest,
        }
    }

    /// The module of a signed package, pinned under its signed digest (a copy of its
    /// bytes: the package's buffer is not kept).
    ///
    /// Safe because the package's signature is the promise [`Prevalidated::new_unchecked`]
    /// asks for: it was made by one of the keys the board trusts, over a module that
    /// `cargo xtask package` validated with this vSoC's configuration before it signed.
    /// A key holder who signs a module nobody validated breaks that promise, as a build
    /// that pins the digest of an unvalidated module would.
    #[cfg(feature = "packages")]
    pub fn from_package(package: &fireball_package::VerifiedPackage<'_>) -> Self {
        Self {
            bytes: ModuleBytes::Shared(package.module().into()),
            digest: package.digest(),
        }
    }

    /// Where and how the module's bytes are kept.
    pub fn bytes(&self) -> &ModuleBytes {
        &self.bytes
    }

    /// The module's size in bytes (inflated).
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether the module has no bytes (never a valid module).
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The SHA-256 digest pinned when the bytes were validated.
    pub fn digest(&self) -> &Digest {
        &self.digest
    }

    /// Check the bytes against the pinned digest (feature `check-digest`).
    #[cfg(feature = "check-digest")]
    fn check_digest(&self, module: &[u8]) -> Result<(), LoadError> {
        let actual = digest(module);
        if actual == self.digest {
            Ok(())
        } else {
            Err(LoadError::DigestMismatch {
                pinned: self.digest,
                actual,
            })
        }
    }
}

impl fmt::Debug for Prevalidated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Prevalidated")
            .field("bytes", &self.bytes.len())
            .field("digest", &format_args!("{}", Hex(&self.digest)))
            .finish()
    }
}

/// What kind of thing an import or export is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExternKind {
    /// A function.
    Func,
    /// A table.
    Table,
    /// A linear memory.
    Memory,
    /// A global.
    Global,
    /// An exception tag.
    Tag,
}

/// One import of a module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Import {
    /// The import module (`fb` for Fireball's builtins).
    pub module: String,
    /// The imported name.
    pub name: String,
    /// What is imported.
    pub kind: ExternKind,
}

/// One export of a module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Export {
    /// The exported name.
    pub name: String,
    /// What is exported.
    pub kind: ExternKind,
}

/// The linear memory a module declares, in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryDecl {
    /// Size at instantiation.
    pub initial_bytes: u64,
    /// Largest size it may grow to; `None` when the module sets no maximum.
    pub maximum_bytes: Option<u64>,
    /// Page size in bytes (65 536 unless the module uses custom page sizes).
    pub page_size: u64,
}

/// The shape of a module, read before it is compiled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleInfo {
    /// The name the module was loaded under.
    pub name: String,
    /// Size of the module in bytes.
    pub size: usize,
    /// Its imports, in declaration order.
    pub imports: Vec<Import>,
    /// Its exports, in declaration order.
    pub exports: Vec<Export>,
    /// Functions, imported and defined.
    pub functions: u32,
    /// Its linear memory, if it has one.
    pub memory: Option<MemoryDecl>,
    /// For an instrumented debug build: the name its `fireball.debug` section gives (the
    /// original module with DWARF, where the debugger's host finds it).
    pub debug_name: Option<String>,
}

impl ModuleInfo {
    /// Whether the module is an instrumented debug build (imports the debug probes).
    pub fn is_debug_build(&self) -> bool {
        self.imports
            .iter()
            .any(|i| i.module == fireball_abi::debug::MODULE)
    }

    /// Whether the module serves routes (imports `route_next` or `route_respond_next`, the
    /// builtins that wait for a delivery): a service, not a guest.
    pub fn is_service(&self) -> bool {
        self.serving_import().is_some()
    }

    /// The import that makes the module a service ([`ModuleInfo::is_service`]), if any.
    pub fn serving_import(&self) -> Option<&'static str> {
        use fireball_abi::builtin::{ROUTE_NEXT, ROUTE_RESPOND_NEXT};
        [ROUTE_RESPOND_NEXT, ROUTE_NEXT].into_iter().find(|name| {
            self.imports
                .iter()
                .any(|i| i.module == fireball_abi::MODULE && i.name == *name)
        })
    }
}

/// A module that passed both loader passes, ready to instantiate.
pub struct LoadedModule {
    pub(crate) info: ModuleInfo,
    pub(crate) module: wasmi::Module,
}

impl LoadedModule {
    /// The same compiled module under another component's name (what its instances are
    /// called in the dump): a second instance of a module shares its compiled code.
    pub fn named(&self, name: &str) -> Self {
        let mut info = self.info.clone();
        info.name = name.into();
        Self {
            info,
            module: self.module.clone(),
        }
    }

    /// What the loader learnt about the module.
    pub fn info(&self) -> &ModuleInfo {
        &self.info
    }
}

impl fmt::Debug for LoadedModule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoadedModule")
            .field("info", &self.info)
            .finish()
    }
}

fn invalid(e: wasmi::Error) -> LoadError {
    LoadError::Invalid {
        reason: crate::stop::wasmi_error_text(&e),
    }
}

/// Check `bytes` against `config` and compile them with `engine`.
#[cfg(feature = "validate")]
pub(crate) fn load(
    engine: &wasmi::Engine,
    config: &VsocConfig,
    name: &str,
    bytes: &[u8],
) -> Result<LoadedModule, LoadError> {
    let info = inspect(config, name, bytes)?;
    let module = wasmi::Module::new(engine, bytes).map_err(invalid)?;
    Ok(LoadedModule { info, module })
}

/// Check `bytes` against `config`, validate them with `engine`'s configuration, and pin
/// their digest.
#[cfg(feature = "validate")]
pub(crate) fn prevalidate(
    engine: &wasmi::Engine,
    config: &VsocConfig,
    name: &str,
    bytes: ModuleBytes,
) -> Result<Prevalidated, LoadError> {
    let module = bytes.module()?;
    inspect(config, name, &module)?;
    wasmi::Module::validate(engine, &module).map_err(invalid)?;
    let digest = digest(&module);
    drop(module);
    Ok(Prevalidated { digest, bytes })
}

/// Check a pre-validated module (`bytes`: its bytes, inflated) against `config` and
/// compile it with `engine`, without validating it again.
#[allow(unsafe_code)]
// Cold (boot, restarts, teardown): compiled for size in the firmware
// (docs/perf.md, "Cold code in the hot crates").
#[cfg_attr(fireball_size_hints, optimize(size))]
#[inline(never)]
pub(crate) fn load_prevalidated(
    engine: &wasmi::Engine,
    config: &VsocConfig,
    name: &str,
    module: &Prevalidated,
    bytes: &[u8],
) -> Result<LoadedModule, LoadError> {
    #[cfg(feature = "check-digest")]
    module.check_digest(bytes)?;
    #[cfg(not(feature = "check-digest"))]
    let _ = module;
    let info = inspect(config, name, bytes)?;
    // Safety: a `Prevalidated` holds bytes wasmi's validator accepted with a vSoC engine's
    // configuration (every `Vsoc` configures its engine alike: `Vsoc::with_platform`):
    // `prevalidate` validated them, or the caller of `Prevalidated::new_unchecked`
    // guaranteed it (and with `check-digest`, the bytes were just checked against the
    // digest of the validated module).
    let module = unsafe { wasmi::Module::new_unchecked(engine, bytes) }.map_err(invalid)?;
    Ok(LoadedModule { info, module })
}

fn malformed(e: wasmparser::BinaryReaderError) -> LoadError {
    LoadError::Malformed {
        offset: e.offset(),
        reason: e.message().to_string(),
    }
}

/// The section pass: read the module's shape and hold it to the limits.
pub fn inspect(config: &VsocConfig, name: &str, bytes: &[u8]) -> Result<ModuleInfo, LoadError> {
    if bytes.len() > config.max_module_bytes {
        return Err(LoadError::TooLarge {
            size: bytes.len(),
            limit: config.max_module_bytes,
        });
    }
    let mut info = ModuleInfo {
        name: name.to_string(),
        size: bytes.len(),
        imports: Vec::new(),
        exports: Vec::new(),
        functions: 0,
        memory: None,
        debug_name: None,
    };
    let mut tables = 0u32;
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        use wasmparser::Payload;
        match payload.map_err(malformed)? {
            Payload::ImportSection(reader) => {
                for import in reader {
                    let import = import.map_err(malformed)?;
                    let is_func = matches!(import.ty, wasmparser::TypeRef::Func(_));
                    if !is_func || !builtins::provides(import.module, import.name) {
                        return Err(LoadError::UnknownImport {
                            module: import.module.to_string(),
                            name: import.name.to_string(),
                        });
                    }
                    info.functions += 1;
                    info.imports.push(Import {
                        module: import.module.to_string(),
                        name: import.name.to_string(),
                        kind: ExternKind::Func,
                    });
                }
            }
            Payload::FunctionSection(reader) => {
                info.functions = info.functions.saturating_add(reader.count());
            }
            Payload::TableSection(reader) => {
                for table in reader {
                    tables += 1;
                    check_table(config, &table.map_err(malformed)?.ty)?;
                }
            }
            Payload::MemorySection(reader) => {
                for memory in reader {
                    declare_memory(config, &mut info, &memory.map_err(malformed)?)?;
                }
            }
            Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export.map_err(malformed)?;
                    let kind = match export.kind {
                        wasmparser::ExternalKind::Func => ExternKind::Func,
                        wasmparser::ExternalKind::Table => ExternKind::Table,
                        wasmparser::ExternalKind::Memory => ExternKind::Memory,
                        wasmparser::ExternalKind::Global => ExternKind::Global,
                        wasmparser::ExternalKind::Tag => ExternKind::Tag,
                    };
                    info.exports.push(Export {
                        name: export.name.to_string(),
                        kind,
                    });
                }
            }
            Payload::CustomSection(reader) if reader.name() == fireball_abi::debug::SECTION => {
                info.debug_name = Some(String::from_utf8_lossy(reader.data()).into_owned());
            }
            _ => {}
        }
    }
    if info.functions > config.max_functions {
        return Err(LoadError::TooManyFunctions {
            count: info.functions,
            limit: config.max_functions,
        });
    }
    let has_entry = info
        .exports
        .iter()
        .any(|e| e.name == ENTRY && e.kind == ExternKind::Func);
    if !has_entry {
        return Err(LoadError::MissingEntry);
    }
    if tables > config.max_tables {
        return Err(LoadError::TooManyTables {
            count: tables,
            limit: config.max_tables,
        });
    }
    Ok(info)
}

fn check_table(config: &VsocConfig, table: &wasmparser::TableType) -> Result<(), LoadError> {
    let elements = table.maximum.unwrap_or(table.initial).max(table.initial);
    if elements > config.max_table_elements {
        return Err(LoadError::TableTooLarge {
            elements,
            limit: config.max_table_elements,
        });
    }
    Ok(())
}

fn declare_memory(
    config: &VsocConfig,
    info: &mut ModuleInfo,
    memory: &wasmparser::MemoryType,
) -> Result<(), LoadError> {
    if info.memory.is_some() {
        return Err(LoadError::UnsupportedMemory {
            reason: "more than one linear memory",
        });
    }
    if memory.shared {
        return Err(LoadError::UnsupportedMemory {
            reason: "shared memory",
        });
    }
    if memory.memory64 {
        return Err(LoadError::UnsupportedMemory {
            reason: "64-bit memory",
        });
    }
    let page_size_log2 = memory.page_size_log2.unwrap_or(16);
    if page_size_log2 > 16 {
        return Err(LoadError::UnsupportedMemory {
            reason: "page size larger than 64 KiB",
        });
    }
    let page_size = 1u64 << page_size_log2;
    let bytes = |pages: u64| pages.saturating_mul(page_size);
    let decl = MemoryDecl {
        initial_bytes: bytes(memory.initial),
        maximum_bytes: memory.maximum.map(bytes),
        page_size,
    };
    let reach = decl
        .maximum_bytes
        .unwrap_or(u64::MAX)
        .max(decl.initial_bytes);
    if reach > config.max_memory_bytes {
        return Err(LoadError::MemoryTooLarge {
            bytes: reach,
            limit: config.max_memory_bytes,
        });
    }
    info.memory = Some(decl);
    Ok(())
}

/// Human-readable list of a module's needs, for `fireball inspect`.
pub fn describe(info: &ModuleInfo) -> String {
    let role = match info.serving_import() {
        Some(name) => format!("service (imports {name})"),
        None => "guest".to_string(),
    };
    let mut out = format!("module `{}` ({} bytes): {role}\n", info.name, info.size);
    match info.memory {
        Some(m) => {
            out += &format!(
                "  memory: {} bytes initial, {} maximum, page size {}\n",
                m.initial_bytes,
                m.maximum_bytes
                    .map_or_else(|| "no".to_string(), |b| format!("{b} bytes")),
                m.page_size
            );
        }
        None => out += "  memory: none\n",
    }
    out += &format!("  functions: {}\n", info.functions);
    for import in &info.imports {
        out += &format!(
            "  import {}::{} ({:?})\n",
            import.module, import.name, import.kind
        );
    }
    for export in &info.exports {
        out += &format!("  export {} ({:?})\n", export.name, export.kind);
    }
    let builtins: Vec<&str> = info
        .imports
        .iter()
        .filter(|i| i.module == fireball_abi::MODULE)
        .map(|i| i.name.as_str())
        .collect();
    out += &format!("  builtins: {}\n", builtins.join(", "));
    out
}
