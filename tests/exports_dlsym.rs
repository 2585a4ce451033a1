//! Finding 5 of issue 14: Tencent's Unity C# layer binds every native it declares when it first
//! calls it, and threw `EntryPointNotFoundException` in `Uninit` for listener setters this
//! library did not export. Every listener setter in `tencent-csharp-natives.txt`
//! (`TIMSet*Callback`, `TIMAdd*Callback`, `TIMRemove*Callback`) must resolve with `dlsym` from the
//! built `libImSDK.so` and accept NULL and a function pointer.

use std::ffi::{c_char, c_int, c_void, CString};
use std::path::PathBuf;

extern "C" {
    fn dlopen(filename: *const c_char, flag: c_int) -> *mut c_void;
    fn dlsym(handle: *mut c_void, symbol: *const c_char) -> *mut c_void;
    fn dlerror() -> *const c_char;
}
const RTLD_NOW: c_int = 2;

/// The natives list (every native Tencent's Unity C# layer declares, copied into
/// `tests/data/`), or the file `IMSDK_TENCENT_NATIVES` names.
fn natives_file() -> PathBuf {
    std::env::var_os("IMSDK_TENCENT_NATIVES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/tencent-csharp-natives.txt")
        })
}

/// `cargo test` builds the cdylib next to this test binary (target/<profile>/deps).
fn library() -> PathBuf {
    let exe = std::env::current_exe().expect("test exe");
    exe.parent().expect("deps dir").join("libImSDK.so")
}

type Setter = unsafe extern "C" fn(*const c_void, *const c_void);
type Remover = unsafe extern "C" fn(*const c_void);

unsafe extern "C" fn listener(_a: *const c_void, _b: *const c_void) {}

#[test]
fn every_listener_setter_of_tencents_csharp_layer_is_exported_and_callable() {
    let path = natives_file();
    let Ok(list) = std::fs::read_to_string(&path) else {
        // Never pass without the list.
        panic!("{} not found: set IMSDK_TENCENT_NATIVES", path.display());
    };
    let setters: Vec<&str> = list
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter(|n| {
            (n.starts_with("TIMSet") || n.starts_with("TIMAdd") || n.starts_with("TIMRemove"))
                && n.ends_with("Callback")
        })
        .collect();
    assert!(setters.len() >= 71, "{} setters listed", setters.len());
    let lib = CString::new(library().to_str().expect("utf-8 path")).expect("no NUL");
    let handle = unsafe { dlopen(lib.as_ptr(), RTLD_NOW) };
    assert!(
        !handle.is_null(),
        "dlopen {}: {:?}",
        library().display(),
        unsafe { std::ffi::CStr::from_ptr(dlerror()) }
    );
    let mut missing = Vec::new();
    for name in &setters {
        let sym = CString::new(*name).expect("no NUL");
        let f = unsafe { dlsym(handle, sym.as_ptr()) };
        if f.is_null() {
            missing.push(*name);
            continue;
        }
        let cb = listener as *const c_void;
        let ud = 0x1234 as *const c_void;
        // SAFETY: every setter takes (callback, user_data); TIMRemove* takes (callback).
        unsafe {
            if name.starts_with("TIMRemove") {
                let f: Remover = std::mem::transmute(f);
                f(cb);
                f(std::ptr::null());
            } else {
                let f: Setter = std::mem::transmute(f);
                f(cb, ud);
                f(std::ptr::null(), std::ptr::null());
            }
        }
    }
    assert!(missing.is_empty(), "not exported: {missing:?}");
    // The experimental entry points the layer declares resolve too.
    for name in [
        "TIMSetConfig",
        "callExperimentalAPI",
        "TIMInit",
        "TIMUninit",
    ] {
        let sym = CString::new(name).expect("no NUL");
        assert!(!unsafe { dlsym(handle, sym.as_ptr()) }.is_null(), "{name}");
    }
    println!(
        "FIGURES: {} listener setters resolved and called with NULL and a pointer",
        setters.len()
    );
}
