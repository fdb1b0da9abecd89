//! What the CLI prints: error lines, and the memory plan as a table or as JSON.

use std::fmt::Write as _;

use barewasm::module::Counts;
use barewasm::plan::{CALL_FRAME_BYTES, SLOT_BYTES};
use barewasm::{Error, Limits, Plan};

/// `FILE: category: message (at byte offset 0x..)`.
pub fn error_line(file: &str, e: &Error) -> String {
    format!("{file}: {}: {e}", e.category())
}

/// The plan as an aligned table, the limits it holds for, and the firmware declarations.
pub fn plan_text(file: &str, plan: &Plan, counts: &Counts, limits: &Limits) -> String {
    let has_memory = counts.memories > 0;
    let mut rows: Vec<(&str, String, String)> = vec![
        ("module", bytes(plan.module_bytes), String::new()),
        (
            "code section",
            bytes(plan.code_bytes),
            "function bodies, executed in place".into(),
        ),
        (
            "side table entries",
            plan.side_table_entries.to_string(),
            "one per if, else, br, br_if, br_table target; 4 B each".into(),
        ),
        (
            "wide entries",
            plan.side_table_wide_entries.to_string(),
            "8 B each more, for branches that drop values".into(),
        ),
        (
            "side table",
            bytes(plan.side_table_bytes),
            if plan.side_table_prepared {
                "precomputed in the module (flash), checked at load".into()
            } else {
                "in RAM (`barewasm prepare` moves it to flash)".into()
            },
        ),
        (
            "side table / code",
            format!("{:.2}x", plan.side_table_ratio()),
            String::new(),
        ),
        (
            "module state",
            bytes(plan.module_state_bytes),
            if plan.side_table_prepared {
                "index tables".into()
            } else {
                "index tables + side table".into()
            },
        ),
        (
            "instance state",
            bytes(plan.instance_state_bytes),
            "globals, tables at minimum, segment flags".into(),
        ),
        (
            "total state",
            bytes(plan.state_bytes),
            "STATE buffer (module + one instance)".into(),
        ),
        (
            "validation scratch",
            bytes(plan.scratch_bytes),
            "SCRATCH buffer, only during Module::new".into(),
        ),
    ];
    if has_memory {
        rows.push((
            "linear memory min",
            bytes_u64(plan.memory_min_bytes),
            String::new(),
        ));
        rows.push(match plan.memory_max_bytes {
            Some(max) => ("linear memory max", bytes_u64(max), String::new()),
            None => ("linear memory max", "none".into(), "not declared".into()),
        });
    } else {
        rows.push(("linear memory", "none".into(), "no memory declared".into()));
    }
    rows.extend([
        (
            "stack",
            bytes(plan.stack_bytes),
            format!(
                "{} slots x {SLOT_BYTES} + {} frames x {CALL_FRAME_BYTES}",
                limits.value_stack_slots, limits.max_call_depth
            ),
        ),
        (
            "max nesting",
            plan.max_nesting.to_string(),
            format!("limit {}", limits.max_nesting),
        ),
        (
            "max operand height",
            plan.max_height.to_string(),
            String::new(),
        ),
        (
            "max locals",
            plan.max_locals.to_string(),
            format!(
                "params included; locals + operands limit {}",
                limits.max_function_slots
            ),
        ),
    ]);

    let label_w = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    let value_w = rows.iter().map(|r| r.1.len()).max().unwrap_or(0);
    let mut out = format!("memory plan for {file}\n\n");
    for (label, value, note) in &rows {
        let line = format!("  {label:<label_w$}  {value:>value_w$}  {note}");
        out.push_str(line.trim_end());
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "\nlimits: --max-nesting {} --max-function-slots {} --stack-slots {} --call-depth {}",
        limits.max_nesting,
        limits.max_function_slots,
        limits.value_stack_slots,
        limits.max_call_depth
    );
    // Scratch is sized by the limits, not the module: the smallest limits this module
    // passes under give the smallest scratch.
    let tight = tightest_limits(plan, limits);
    let tight_scratch = barewasm::validate::scratch_bytes(counts, &tight);
    if tight_scratch < plan.scratch_bytes {
        let _ = writeln!(
            out,
            "tightest for this module: --max-nesting {} --max-function-slots {} (scratch {} B)",
            tight.max_nesting, tight.max_function_slots, tight_scratch
        );
    }
    out.push_str("\nfirmware buffers for these limits:\n");
    out.push_str("  use barewasm::AlignedBuffer;\n");
    let _ = writeln!(
        out,
        "  static mut STATE: AlignedBuffer<{}> = AlignedBuffer::new();",
        plan.state_bytes
    );
    let _ = writeln!(
        out,
        "  static mut SCRATCH: AlignedBuffer<{}> = AlignedBuffer::new();",
        plan.scratch_bytes
    );
    let _ = writeln!(
        out,
        "  static mut STACK: AlignedBuffer<{}> = AlignedBuffer::new();",
        plan.stack_bytes
    );
    if has_memory && plan.memory_min_bytes > 0 {
        let _ = writeln!(
            out,
            "  static mut MEMORY: AlignedBuffer<{}> = AlignedBuffer::new(); // at its minimum",
            plan.memory_min_bytes
        );
    }
    // Module::new only borrows scratch: a buffer that is idle until execution can serve.
    if plan.scratch_bytes <= plan.stack_bytes {
        out.push_str("  // SCRATCH is free again after Module::new: STACK can serve as it.\n");
    } else {
        out.push_str("  // SCRATCH is free again after Module::new: it may share RAM with a buffer used later.\n");
    }
    out
}

/// `limits` lowered to what the module was measured to need: nesting as found, and
/// function slots as the most locals plus the highest operand stack (each a maximum over
/// all functions, so their sum bounds every single function).
pub fn tightest_limits(plan: &Plan, limits: &Limits) -> Limits {
    Limits {
        max_nesting: plan.max_nesting.max(1),
        max_function_slots: plan.max_locals.saturating_add(plan.max_height).max(1),
        ..*limits
    }
}

/// The plan as one JSON object: the [`Plan`] fields, the ratio and the limits used.
pub fn plan_json(file: &str, plan: &Plan, counts: &Counts, limits: &Limits) -> String {
    let max = match plan.memory_max_bytes {
        Some(m) => m.to_string(),
        None => "null".into(),
    };
    let tight = tightest_limits(plan, limits);
    let fields: [(&str, String); 21] = [
        ("file", json_string(file)),
        ("module_bytes", plan.module_bytes.to_string()),
        ("code_bytes", plan.code_bytes.to_string()),
        ("side_table_entries", plan.side_table_entries.to_string()),
        (
            "side_table_wide_entries",
            plan.side_table_wide_entries.to_string(),
        ),
        ("side_table_bytes", plan.side_table_bytes.to_string()),
        ("side_table_prepared", plan.side_table_prepared.to_string()),
        (
            "side_table_ratio",
            format!("{:.4}", plan.side_table_ratio()),
        ),
        ("module_state_bytes", plan.module_state_bytes.to_string()),
        ("instance_state_bytes", plan.instance_state_bytes.to_string()),
        ("state_bytes", plan.state_bytes.to_string()),
        ("scratch_bytes", plan.scratch_bytes.to_string()),
        ("has_memory", (counts.memories > 0).to_string()),
        ("memory_min_bytes", plan.memory_min_bytes.to_string()),
        ("memory_max_bytes", max),
        ("stack_bytes", plan.stack_bytes.to_string()),
        ("max_nesting", plan.max_nesting.to_string()),
        ("max_height", plan.max_height.to_string()),
        ("max_locals", plan.max_locals.to_string()),
        (
            "limits",
            format!(
                "{{\"max_nesting\": {}, \"max_function_slots\": {}, \"value_stack_slots\": {}, \"max_call_depth\": {}}}",
                limits.max_nesting,
                limits.max_function_slots,
                limits.value_stack_slots,
                limits.max_call_depth
            ),
        ),
        (
            "tightest_limits",
            format!(
                "{{\"max_nesting\": {}, \"max_function_slots\": {}, \"scratch_bytes\": {}}}",
                tight.max_nesting,
                tight.max_function_slots,
                barewasm::validate::scratch_bytes(counts, &tight)
            ),
        ),
    ];
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("  \"{k}\": {v}"))
        .collect();
    format!("{{\n{}\n}}\n", body.join(",\n"))
}

fn bytes(n: usize) -> String {
    format!("{n} B")
}

fn bytes_u64(n: u64) -> String {
    format!("{n} B")
}

/// A JSON string literal (RFC 8259 escapes).
pub fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_are_escaped() {
        assert_eq!(json_string("a\"b\\c\n\u{1}é"), r#""a\"b\\c\n\u0001é""#);
    }

    #[test]
    fn absent_memory_max_is_null() {
        let plan = Plan::default();
        let json = plan_json("m.wasm", &plan, &Counts::default(), &Limits::DEFAULT);
        assert!(json.contains("\"memory_max_bytes\": null"));
        assert!(json.contains("\"side_table_ratio\": 0.0000"));
    }
}
