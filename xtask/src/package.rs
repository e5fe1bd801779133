//! `cargo xtask keygen` and `cargo xtask package`: signing keys and signed module packages
//! (the format and the signing are `fireball_package`'s; this reads files and the manifest).

use std::{fs, io::Write, os::unix::fs::OpenOptionsExt, path::Path};

use fireball_manifest::{Component, Manifest};
use fireball_package::{Contents, Methods, Reach, SigningKey, Version, sign};

/// The private key's file name in `keygen`'s directory (keep it; never in a board image).
pub const PRIVATE_KEY: &str = "fireball-signing.key";
/// The public key's file name: 32 raw bytes, for the board image to embed.
pub const PUBLIC_KEY: &str = "fireball-signing.pub";

/// Write a new key pair into `dir`: the private key (its 32-byte seed, mode 0600) and the
/// public key. Refuses to overwrite either.
pub fn keygen(dir: &Path) -> Result<(), String> {
    fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| format!("the host's RNG failed: {e}"))?;
    let key = SigningKey::from_seed(&seed);
    seed.fill(0);
    let private = dir.join(PRIVATE_KEY);
    let public = dir.join(PUBLIC_KEY);
    for path in [&private, &public] {
        if path.exists() {
            return Err(format!("{} exists; not overwriting a key", path.display()));
        }
    }
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&private)
        .map_err(|e| format!("{}: {e}", private.display()))?;
    file.write_all(&key.to_seed())
        .map_err(|e| format!("{}: {e}", private.display()))?;
    fs::write(&public, key.public_key().to_bytes())
        .map_err(|e| format!("{}: {e}", public.display()))?;
    println!("private key (keep it, 0600): {}", private.display());
    println!(
        "public key (embed it in the board image): {}",
        public.display()
    );
    Ok(())
}

/// `package <component> --manifest M --module W --key K --version X.Y.Z -o OUT`.
pub fn run(args: &[&str]) -> Result<(), String> {
    let [component, rest @ ..] = args else {
        return Err("package: which component?".into());
    };
    let (mut manifest, mut module, mut key, mut version, mut out) = (None, None, None, None, None);
    let mut rest = rest.iter();
    while let Some(flag) = rest.next() {
        let value = rest
            .next()
            .ok_or(format!("package: {flag} needs a value"))?;
        let slot = match *flag {
            "--manifest" => &mut manifest,
            "--module" => &mut module,
            "--key" => &mut key,
            "--version" => &mut version,
            "-o" | "--out" => &mut out,
            _ => return Err(format!("package: unknown option {flag}")),
        };
        *slot = Some(*value);
    }
    let manifest =
        Manifest::load(Path::new(need(manifest, "--manifest")?)).map_err(|e| e.to_string())?;
    let version = need(version, "--version")?;
    let version =
        Version::parse(version).ok_or(format!("package: version `{version}` is not X.Y.Z"))?;
    let module_path = need(module, "--module")?;
    let module = fs::read(module_path).map_err(|e| format!("{module_path}: {e}"))?;
    let key_path = need(key, "--key")?;
    let seed = fs::read(key_path).map_err(|e| format!("{key_path}: {e}"))?;
    let seed: [u8; 32] = seed
        .try_into()
        .map_err(|_| format!("{key_path}: not a private key (32 bytes, `cargo xtask keygen`)"))?;
    let key = SigningKey::from_seed(&seed);
    let out = need(out, "-o")?;
    let bytes = signed(&manifest, component, version, &module, &key)
        .map_err(|e| format!("package: {module_path}: {e}"))?;
    fs::write(out, &bytes).map_err(|e| format!("{out}: {e}"))?;
    let package = fireball_package::Package::parse(&bytes).map_err(|e| format!("package: {e}"))?;
    println!(
        "{out}: {component} {version}, {} routes, {} reach entries, {} module bytes, {} bytes signed",
        package.routes().len(),
        package.reach().len(),
        module.len(),
        bytes.len()
    );
    Ok(())
}

/// `component`'s module as a package signed with `key`: its routes and reach are the
/// manifest's, and the module is validated with the deployment's limits first (a board
/// without the validator compiles a package's module on the strength of its signature).
pub fn signed(
    manifest: &Manifest,
    component: &str,
    version: Version,
    module: &[u8],
    key: &SigningKey,
) -> Result<Vec<u8>, String> {
    let entry = manifest
        .components()
        .find(|c| c.name() == component)
        .ok_or(format!("the manifest has no component `{component}`"))?;
    let routes: Vec<&str> = match entry {
        Component::Service(s) => s.routes.iter().map(String::as_str).collect(),
        // A guest serves no routes.
        Component::Guest(_) => Vec::new(),
    };
    let reach: Vec<Reach<'_>> = entry
        .reach()
        .iter()
        .map(|r| Reach {
            route: &r.route,
            methods: r
                .methods
                .iter()
                .fold(Methods::NONE, |set, m| set | Methods::from(*m)),
        })
        .collect();
    let contents = Contents {
        name: component,
        version,
        routes: &routes,
        reach: &reach,
    };
    // A board without the validator compiles a package's module on the strength of its
    // signature: validate it here, with the deployment's limits, before signing.
    fireball::deploy::check_module(manifest, component, module.to_vec())
        .map_err(|e| e.to_string())?;
    sign(&contents, module, key).map_err(|e| e.to_string())
}

/// An option's value, or an error naming it.
fn need<'a>(value: Option<&'a str>, name: &str) -> Result<&'a str, String> {
    value.ok_or(format!("package: {name} is required"))
}
