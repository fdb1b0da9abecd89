//! The report: a Markdown table (results.md) and a bar chart of execution-time ratios
//! (results.svg, written by hand: one `<rect>` per bar on a log scale).

use std::fmt::Write as _;
use std::process::Command;

use crate::runtimes::Runtime;
use crate::{Cell, Results, WORKLOADS};

/// The runtimes compared with wasmi, in table and chart order.
const PEERS: [Runtime; 5] = [
    Runtime::Barewasm,
    Runtime::BarewasmPrepared,
    Runtime::Wasm3,
    Runtime::Tinywasm,
    Runtime::Wasefire,
];

fn cell(r: &Results, w: usize, rt: Runtime) -> &Cell {
    &r.cells[w][rt.name()]
}

/// Execution time of `rt` over wasmi's on workload `w`, if both ran correctly.
fn exec_ratio(r: &Results, w: usize, rt: Runtime) -> Option<f64> {
    let base = cell(r, w, Runtime::Wasmi);
    let mine = cell(r, w, rt);
    if !base.ok() || !mine.ok() {
        return None;
    }
    Some(mine.best_exec()?.as_secs_f64() / base.best_exec()?.as_secs_f64())
}

/// Geometric mean of the ratios over the workloads where `rt` ran correctly (None if any
/// did not: a geomean over part of the suite would flatter it).
fn geomean(r: &Results, rt: Runtime) -> Option<f64> {
    let ratios: Option<Vec<f64>> = (0..WORKLOADS.len()).map(|w| exec_ratio(r, w, rt)).collect();
    let ratios = ratios?;
    Some((ratios.iter().map(|x| x.ln()).sum::<f64>() / ratios.len() as f64).exp())
}

/// Best load time over every sample of every workload, in ns per module byte.
fn load_ns_per_byte(r: &Results, rt: Runtime) -> Option<f64> {
    let best = (0..WORKLOADS.len())
        .filter_map(|w| cell(r, w, rt).best_load())
        .min()?;
    Some(best.as_secs_f64() * 1e9 / r.module.bytes.len() as f64)
}

/// Largest RAM figure over the workloads.
fn ram(r: &Results, rt: Runtime) -> Option<usize> {
    (0..WORKLOADS.len())
        .filter_map(|w| cell(r, w, rt).ram())
        .max()
}

/// Largest RAM actually used over the workloads (see `Sample::used`).
fn used(r: &Results, rt: Runtime) -> Option<usize> {
    (0..WORKLOADS.len())
        .filter_map(|w| cell(r, w, rt).used())
        .max()
}

fn shell(cmd: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(cmd).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn machine() -> String {
    let model = shell("lscpu", &[])
        .and_then(|s| {
            s.lines()
                .find(|l| l.trim_start().starts_with("Model name:"))
                .map(|l| l.split_once(':').unwrap().1.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{model}, {cores} cores")
}

/// The barewasm commit measured, marked when the runtime has uncommitted changes.
fn barewasm_revision() -> String {
    let dir = env!("CARGO_MANIFEST_DIR");
    let rev = shell("git", &["-C", dir, "rev-parse", "--short", "HEAD"]).unwrap_or_default();
    let dirty = shell(
        "git",
        &[
            "-C",
            dir,
            "status",
            "--porcelain",
            "--",
            "../crates/barewasm",
        ],
    )
    .is_some_and(|s| !s.is_empty());
    if rev.is_empty() {
        "this tree".into()
    } else if dirty {
        format!("{rev} + uncommitted changes")
    } else {
        rev
    }
}

/// Versions of the peers, from bench/Cargo.lock.
fn version(krate: &str) -> String {
    let lock = include_str!("../Cargo.lock");
    let mut lines = lock.lines();
    while let Some(l) = lines.next() {
        if l == format!("name = \"{krate}\"") {
            if let Some(v) = lines.next().and_then(|v| v.strip_prefix("version = ")) {
                return v.trim_matches('"').to_string();
            }
        }
    }
    "?".into()
}

fn ratio_text(x: Option<f64>) -> String {
    match x {
        Some(x) if x >= 10.0 => format!("{x:.0}x"),
        Some(x) => format!("{x:.2}x"),
        None => "-".into(),
    }
}

fn cell_text(r: &Results, w: usize, rt: Runtime) -> String {
    let c = cell(r, w, rt);
    if let Some(v) = c.mismatch {
        return format!("**WRONG** ({v})");
    }
    if c.error.is_some() {
        return "**ERROR**".into();
    }
    ratio_text(exec_ratio(r, w, rt))
}

fn bytes_text(b: usize) -> String {
    let s = b.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// The report in Markdown; `h` is the heading prefix of its sections (`##`, `###`).
pub fn markdown(r: &Results, h: &str) -> String {
    let plan = &r.module.plan;
    let date = shell("date", &["-u", "+%Y-%m-%d"]).unwrap_or_default();
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{date}, {}. Module `guests/wasm/bench.wasm`: {} bytes, code section {} bytes. \
         Runtimes: barewasm {}, wasmi {} (eager translation), Wasm3 0.9.0 (wasm3x {}, eager compilation), \
         tinywasm {}, wasefire-interpreter {}. Each runtime runs each workload up to {} \
         times, interleaved with the others; the best time counts. Regenerate with \
         `bench/run.sh`.\n",
        machine(),
        bytes_text(r.module.bytes.len()),
        bytes_text(plan.code_bytes),
        barewasm_revision(),
        version("wasmi"),
        version("wasm3x"),
        version("tinywasm"),
        version("wasefire-interpreter"),
        crate::MAX_ROUNDS,
    );

    let _ = writeln!(
        s,
        "{h} Execution time, as a ratio to wasmi (lower is faster)\n"
    );
    let _ = write!(s, "| workload | n | wasmi |");
    for rt in PEERS {
        let _ = write!(s, " {} |", rt.name());
    }
    let _ = write!(s, "\n|---|--:|--:|");
    for _ in PEERS {
        let _ = write!(s, "--:|");
    }
    s.push('\n');
    for (w, wl) in WORKLOADS.iter().enumerate() {
        let base = cell(r, w, Runtime::Wasmi)
            .best_exec()
            .map_or("-".into(), |t| format!("{:.1} ms", t.as_secs_f64() * 1e3));
        let _ = write!(s, "| {} | {} | {base} |", wl.name, wl.full);
        for rt in PEERS {
            let _ = write!(s, " {} |", cell_text(r, w, rt));
        }
        s.push('\n');
    }
    let _ = write!(s, "| **geomean** | | 1 |");
    for rt in PEERS {
        let _ = write!(s, " **{}** |", ratio_text(geomean(r, rt)));
    }
    s.push_str("\n\n");

    let _ = writeln!(
        s,
        "{h} Load time: decode + validate + instantiate, per module byte\n"
    );
    let _ = writeln!(
        s,
        "| runtime | ns per byte | ratio to wasmi |\n|---|--:|--:|"
    );
    let wasmi_load = load_ns_per_byte(r, Runtime::Wasmi);
    for rt in std::iter::once(Runtime::Wasmi).chain(PEERS) {
        let ns = load_ns_per_byte(r, rt);
        let ratio = ns.zip(wasmi_load).map(|(a, b)| a / b);
        let _ = writeln!(
            s,
            "| {} | {} | {} |",
            rt.name(),
            ns.map_or("-".into(), |x| format!("{x:.1}")),
            ratio_text(ratio)
        );
    }
    s.push('\n');

    let _ = writeln!(s, "{h} RAM beyond linear memory\n");
    let _ = writeln!(
        s,
        "| runtime | bytes (largest over the workloads) | ratio to wasmi | per code-section byte | used | used per code-section byte |\n|---|--:|--:|--:|--:|--:|"
    );
    let wasmi_ram = ram(r, Runtime::Wasmi);
    let per_code = |b: Option<usize>| {
        b.map_or("-".into(), |b| {
            format!("{:.2}", b as f64 / plan.code_bytes as f64)
        })
    };
    for rt in std::iter::once(Runtime::Wasmi).chain(PEERS) {
        let (b, u) = (ram(r, rt), used(r, rt));
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} |",
            rt.name(),
            b.map_or("-".into(), bytes_text),
            ratio_text(b.zip(wasmi_ram).map(|(a, w)| a as f64 / w as f64)),
            per_code(b),
            u.map_or("-".into(), bytes_text),
            per_code(u),
        );
    }
    let _ = writeln!(
        s,
        "\nbarewasm: state {} B (module {} B, of which side table {} B; instance {} B) + \
         stack {} B ({} value slots, {} frames; the {} B validation scratch is reused as \
         the stack), all host buffers sized by `barewasm::Plan`, no heap; prepared, the \
         state is {} B, the side table staying in the module's bytes. *Used*: the state \
         plus the stack words the call wrote (the buffer is painted beforehand), at least \
         the scratch: what a firmware sized to this workload needs. The peers: peak \
         heap during load, instantiation and the call, minus the {} B of linear memory \
         (Wasm3: its C heap, through glibc's `mallinfo2`, also minus the bindings' copy \
         of the module); for them *used* is the same figure.",
        bytes_text(plan.state_bytes),
        bytes_text(plan.module_state_bytes),
        bytes_text(plan.side_table_bytes),
        bytes_text(plan.instance_state_bytes),
        bytes_text(plan.stack_bytes),
        crate::runtimes::BAREWASM_LIMITS.value_stack_slots,
        crate::runtimes::BAREWASM_LIMITS.max_call_depth,
        bytes_text(plan.scratch_bytes),
        bytes_text(r.module.prepared.plan.state_bytes),
        bytes_text(r.module.memory_bytes()),
    );

    let _ = writeln!(s, "\n{h} Workloads\n\n| workload | does |\n|---|---|");
    for w in WORKLOADS {
        let _ = writeln!(s, "| `{}` | {} |", w.name, w.what);
    }
    s
}

const COLORS: [&str; 5] = ["#d62728", "#ff9896", "#1f77b4", "#2ca02c", "#9467bd"];

pub fn svg(r: &Results) -> String {
    let (width, height) = (960.0, 440.0);
    let (left, right, top, bottom) = (60.0, 20.0, 50.0, 60.0);
    let plot_h = height - top - bottom;
    let plot_w = width - left - right;
    // Log scale from 0.25x to the largest ratio (at least 100x).
    let mut max: f64 = 100.0;
    for w in 0..WORKLOADS.len() {
        for rt in PEERS {
            if let Some(x) = exec_ratio(r, w, rt) {
                max = max.max(x * 1.2);
            }
        }
    }
    let (lo, hi) = (0.25f64.log10(), max.log10());
    let y = |v: f64| top + plot_h * (1.0 - (v.max(0.25).log10() - lo) / (hi - lo));

    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(
        s,
        r#"<rect width="{width}" height="{height}" fill="white"/>
<text x="{}" y="20" text-anchor="middle" font-size="15">Execution time relative to wasmi (log scale, lower is faster)</text>"#,
        width / 2.0
    );
    for tick in [
        0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0,
    ] {
        if tick > max {
            break;
        }
        let ty = y(tick);
        let (stroke, w) = if tick == 1.0 {
            ("#000", 1.5)
        } else {
            ("#ddd", 1.0)
        };
        let _ = writeln!(
            s,
            r#"<line x1="{left}" y1="{ty:.1}" x2="{:.1}" y2="{ty:.1}" stroke="{stroke}" stroke-width="{w}"/><text x="{:.1}" y="{:.1}" text-anchor="end">{tick}x</text>"#,
            width - right,
            left - 6.0,
            ty + 4.0
        );
    }
    let _ = writeln!(
        s,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="end" font-size="11">wasmi = 1</text>"#,
        width - right - 4.0,
        y(1.0) - 4.0
    );
    let groups = WORKLOADS.len() + 1;
    let group_w = plot_w / groups as f64;
    let bar_w = group_w * 0.8 / PEERS.len() as f64;
    for g in 0..groups {
        let gx = left + g as f64 * group_w + group_w * 0.1;
        let label = WORKLOADS.get(g).map_or("geomean", |w| w.name);
        for (i, rt) in PEERS.iter().enumerate() {
            let v = if g < WORKLOADS.len() {
                exec_ratio(r, g, *rt)
            } else {
                geomean(r, *rt)
            };
            let x = gx + i as f64 * bar_w;
            match v {
                Some(v) => {
                    let (y0, y1) = (y(0.25), y(v));
                    let _ = writeln!(
                        s,
                        r#"<rect x="{x:.1}" y="{y1:.1}" width="{:.1}" height="{:.1}" fill="{}"><title>{} {label}: {v:.2}x</title></rect>"#,
                        bar_w - 1.0,
                        y0 - y1,
                        COLORS[i],
                        rt.name()
                    );
                    if g == WORKLOADS.len() {
                        let _ = writeln!(
                            s,
                            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="10">{}</text>"#,
                            x + bar_w / 2.0,
                            y1 - 3.0,
                            ratio_text(Some(v))
                        );
                    }
                }
                None => {
                    let _ = writeln!(
                        s,
                        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="10" fill="{}">✗</text>"#,
                        x + bar_w / 2.0,
                        y(0.25) - 4.0,
                        COLORS[i]
                    );
                }
            }
        }
        let weight = if g == WORKLOADS.len() {
            "bold"
        } else {
            "normal"
        };
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-weight="{weight}">{label}</text>"#,
            left + (g as f64 + 0.5) * group_w,
            height - bottom + 18.0
        );
    }
    for (i, rt) in PEERS.iter().enumerate() {
        let x = left + i as f64 * 130.0;
        let ly = height - 18.0;
        let _ = writeln!(
            s,
            r#"<rect x="{x:.1}" y="{:.1}" width="12" height="12" fill="{}"/><text x="{:.1}" y="{ly:.1}">{}</text>"#,
            ly - 10.0,
            COLORS[i],
            x + 16.0,
            rt.name()
        );
    }
    s.push_str("</svg>\n");
    s
}

const BEGIN: &str = "<!-- bench:begin -->";
const END: &str = "<!-- bench:end -->";

/// `readme` with the text between the bench markers replaced by the report and the chart;
/// None if the markers are missing.
pub fn readme_with(readme: &str, r: &Results) -> Option<String> {
    let start = readme.find(BEGIN)? + BEGIN.len();
    let end = start + readme[start..].find(END)?;
    let block = format!(
        "\n{}\n![Execution time relative to wasmi, per workload and runtime](bench/results.svg)\n",
        markdown(r, "####")
    );
    Some(format!("{}{block}{}", &readme[..start], &readme[end..]))
}
