//! report.html: one self-contained page per result, current with the files beside it, and
//! working in a real browser (headless Chromium) — its console clean and the race page's
//! step-through moving when a key is pressed.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{bin, chromium};

fn results() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("results")
}

/// Every directory under results/ that holds a result (the files a report is made of).
fn result_dirs() -> Vec<PathBuf> {
    fn walk(d: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        if ["summary.json", "race.json", "points.csv", "fit.json"]
            .iter()
            .any(|f| d.join(f).is_file())
        {
            out.push(d.to_path_buf());
        }
        for e in entries.into_iter().filter(|e| e.is_dir()) {
            walk(&e, out);
        }
    }
    let mut out = Vec::new();
    walk(&results(), &mut out);
    out
}

/// Copies directory `from` (and the directories inside it) to `to`, report.html left out.
fn copy_result(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap();
        if p.is_dir() {
            copy_result(&p, &to.join(name));
        } else if name != "report.html" {
            std::fs::copy(&p, to.join(name)).unwrap();
        }
    }
}

/// `gomemsim report DIR`: the page it writes.
fn report_of(dir: &Path) -> String {
    let o = Command::new(bin())
        .args(["report", "-q"])
        .arg(dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    std::fs::read_to_string(dir.join("report.html")).unwrap()
}

fn rel(d: &Path) -> String {
    d.strip_prefix(results()).unwrap().display().to_string()
}

#[test]
fn every_committed_result_has_its_current_self_contained_report() {
    let dirs = result_dirs();
    assert!(dirs.len() >= 20, "{dirs:?}");
    for d in dirs {
        let page = std::fs::read_to_string(d.join("report.html"))
            .unwrap_or_else(|_| panic!("results/{}/report.html is missing", rel(&d)));
        // Made again from the files alone, it is the same page (the directory copied with
        // the result it sits in, which a calibrate's parts link back to).
        let tmp = tempfile::tempdir().unwrap();
        let top = rel(&d).split('/').next().unwrap().to_string();
        copy_result(&results().join(&top), &tmp.path().join(&top));
        let again = report_of(&tmp.path().join(rel(&d)));
        assert!(
            again == page,
            "results/{}/report.html is stale: rerun `gomemsim report results/{}`",
            rel(&d),
            rel(&d)
        );
        // Self-contained and small: nothing fetched from anywhere.
        assert!(page.len() < 5 << 20, "{}: {} bytes", rel(&d), page.len());
        for needle in [
            "src=\"http",
            "href=\"http",
            "<link",
            "@import",
            "url(http",
            "src=\"//",
        ] {
            assert!(!page.contains(needle), "{}: has {needle}", rel(&d));
        }
        // Every plot of the directory is on the page.
        let plots = std::fs::read_dir(&d)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .path()
                    .extension()
                    .is_some_and(|x| x == "svg")
            })
            .count();
        assert_eq!(page.matches("<figure").count(), plots, "{}", rel(&d));
    }
}

#[test]
fn a_race_page_prints_go_s_message_and_lists_every_step_of_steps_json() {
    let d = results().join("race_minimal");
    let page = std::fs::read_to_string(d.join("report.html")).unwrap();
    let steps: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("steps.json")).unwrap()).unwrap();
    // Go's own words (runtime/map.go: mapassign), as schedule.txt prints them.
    assert!(page.contains("fatal error: concurrent map writes\n\ngoroutine "));
    let listed = steps["steps"].as_array().unwrap().len();
    assert_eq!(page.matches("<tr data-step=").count(), listed);
    // The entry check's statement, HTML-escaped.
    assert!(
        page.contains(
            "if h.flags&amp;hashWriting != 0 { fatal(&#x22;concurrent map writes&#x22;) }"
        ) || page.contains(
            "if h.flags&amp;hashWriting != 0 { fatal(&quot;concurrent map writes&quot;) }"
        )
    );
    assert!(page.contains("gomemsim replay scenarios/race_minimal.toml --schedule "));
}

#[test]
fn a_run_page_reads_in_units() {
    let d = results().join("gc_gogc");
    let page = std::fs::read_to_string(d.join("report.html")).unwrap();
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("summary.json")).unwrap()).unwrap();
    // Peak heap in MiB with three significant digits, the GC's CPU share in percent.
    let mib = s["peak_heap_bytes"].as_f64().unwrap() / 1048576.0;
    let want = if mib >= 100.0 {
        format!("{mib:.0} MiB")
    } else {
        format!("{mib:.1} MiB")
    };
    assert!(
        page.contains(&format!(
            "<td title=\"{}\">{want}</td>",
            s["peak_heap_bytes"]
        )),
        "{want}"
    );
    let pct = format!("{:.2}%", s["gc_cpu_fraction"].as_f64().unwrap() * 100.0);
    assert!(page.contains(&pct), "{pct}");
    // The cycles table is there, collapsed.
    assert!(page.contains("<details><summary>"));
}

#[test]
fn report_refuses_a_directory_without_a_result() {
    let tmp = tempfile::tempdir().unwrap();
    let o = Command::new(bin())
        .arg("report")
        .arg(tmp.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("no gomemsim result here"), "{err}");
    assert!(!err.contains("panicked"));
    let o = Command::new(bin())
        .args(["report", "no/such/dir"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no/such/dir: no such directory"));
    // Files gomemsim did not write that way are refused, naming the file.
    for (file, text) in [
        ("race.json", "null"),
        (
            "race.json",
            "{\"scenario\": \"x\", \"schedules\": 1, \"outcomes\": \"lots\"}",
        ),
        ("summary.json", "[]"),
        ("points.csv", "foo,bar\n1,2\n"),
    ] {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join(file), text).unwrap();
        let o = Command::new(bin())
            .arg("report")
            .arg(d.path())
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{file}: {text}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains(file) && err.contains("gomemsim writes"),
            "{err}"
        );
        assert!(!d.path().join("report.html").exists());
    }
    // A shard is told to merge.
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("shard.json"),
        "{\"sweep\": \"f78ae1ceeece560b\", \"shard\": 1, \"of\": 2, \"runs\": 2}",
    )
    .unwrap();
    std::fs::write(d.path().join("sweep.csv"), "run\n").unwrap();
    let o = Command::new(bin())
        .arg("report")
        .arg(d.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("a shard of a sweep (shard 1 of 2)") && err.contains("gomemsim merge"),
        "{err}"
    );
}

#[test]
fn a_result_written_before_steps_json_still_gets_its_page() {
    let tmp = tempfile::tempdir().unwrap();
    copy_result(&results().join("race_read_write"), tmp.path());
    std::fs::remove_file(tmp.path().join("steps.json")).unwrap();
    let page = report_of(tmp.path());
    // schedule.txt stands in for the step-through.
    assert!(page.contains("concurrent map read and map write"));
    assert!(!page.contains("id=\"stepper\""));
}

#[test]
fn content_cannot_break_the_page() {
    // A goroutine name that would end or comment out the page's script, and a plot with a
    // script of its own: neither reaches the page as markup.
    let tmp = tempfile::tempdir().unwrap();
    copy_result(&results().join("race_minimal"), tmp.path());
    let steps = std::fs::read_to_string(tmp.path().join("steps.json")).unwrap();
    std::fs::write(
        tmp.path().join("steps.json"),
        steps.replace("\"writer#25\"", "\"w<!--<script></script>\""),
    )
    .unwrap();
    std::fs::write(
        tmp.path().join("swimlane.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>",
    )
    .unwrap();
    let page = report_of(tmp.path());
    assert!(!page.contains("<!--<script>"));
    assert!(!page.contains("<script>alert(1)"));
    assert!(
        page.contains("w\\u003c!--\\u003cscript>"),
        "the name, escaped in the JSON"
    );
    assert!(
        page.contains("data:image/svg+xml;base64,"),
        "the plot, as an image"
    );
}

#[test]
fn a_sweep_page_marks_the_points_whose_runs_died() {
    let tmp = tempfile::tempdir().unwrap();
    copy_result(&results().join("gc_service/sweep"), tmp.path());
    let points = std::fs::read_to_string(tmp.path().join("points.csv")).unwrap();
    let mut lines: Vec<String> = points.lines().map(str::to_string).collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let col = header.iter().position(|h| *h == "fatal_runs").unwrap();
    let mut row: Vec<String> = lines[1].split(',').map(str::to_string).collect();
    row[col] = "1".into();
    lines[1] = row.join(",");
    std::fs::write(tmp.path().join("points.csv"), lines.join("\n") + "\n").unwrap();
    let page = report_of(tmp.path());
    assert_eq!(page.matches("<tr class=\"died\">").count(), 1);
    assert!(page.contains("Runs died at 1 of the 15 grid points"));
}

/// Loads `page` (with `fragment`) in headless Chromium; its DOM after the scripts ran, and
/// what the browser logged.
fn dump_dom(chrome: &Path, page: &Path, fragment: &str) -> (String, String) {
    let url = format!("file://{}{fragment}", page.display());
    let o = Command::new(chrome)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=3000",
            "--dump-dom",
        ])
        .arg(&url)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{url}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// The value of attribute `name` on the body element of `dom`.
fn body_attr(dom: &str, name: &str) -> Option<String> {
    let body = &dom[dom.find("<body")?..];
    let tag = &body[..body.find('>')?];
    let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    Some(tag[at..at + tag[at..].find('"')?].to_string())
}

#[test]
fn reports_work_in_a_real_browser() {
    let Some(chrome) = chromium("reports_work_in_a_real_browser") else {
        return;
    };
    let shots = tempfile::tempdir().unwrap();
    let mut steppers = 0;
    for d in result_dirs() {
        let page = d.join("report.html");
        let (dom, log) = dump_dom(&chrome, &page, "#selftest");
        assert!(dom.contains("<main>"), "{}: no page", rel(&d));
        assert_eq!(
            body_attr(&dom, "data-errors"),
            None,
            "{}: script errors",
            rel(&d)
        );
        for line in log.lines() {
            assert!(
                !(line.contains("CONSOLE")
                    && (line.contains("Uncaught") || line.contains("Error"))),
                "{}: console: {line}",
                rel(&d)
            );
        }
        if d.join("steps.json").is_file() {
            // The step-through is shown, and → moved it to the next listed step.
            steppers += 1;
            assert!(!dom.contains("<div id=\"stepper\" hidden"), "{}", rel(&d));
            let first = body_attr(&dom, "data-first-step").expect("the self-test ran");
            let now = body_attr(&dom, "data-step").expect("a step is shown");
            assert_ne!(first, now, "{}: → did not move the step-through", rel(&d));
            let shot = shots
                .path()
                .join(format!("{}.png", rel(&d).replace('/', "_")));
            let o = Command::new(&chrome)
                .args([
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--window-size=1280,1400",
                ])
                .arg(format!("--screenshot={}", shot.display()))
                .arg(format!("file://{}#step=2", page.display()))
                .output()
                .unwrap();
            assert!(o.status.success());
            assert!(
                std::fs::metadata(&shot).unwrap().len() > 10_000,
                "{}",
                shot.display()
            );
        }
    }
    // race_minimal, race_read_write, race_iterate_write, race_gc_yield/race and race_append
    // (race_fixed_mutex never fails or races, so it has no schedule to step through).
    assert_eq!(steppers, 5, "race pages with a step-through");
}

/// Two `[]int64` slices: `grow` appended to 1000 times from nil, `pre` made with room for
/// its 1000 first.
const SLICES_TOML: &str = r#"
name = "slices"
[[slices]]
name = "grow"
elem = "int64"
[[slices]]
name = "pre"
elem = "int64"
cap = 1000
[[goroutines]]
name = "main"
program = [
  { op = "append", slice = "grow", n = 1000 },
  { op = "append", slice = "pre", n = 1000 },
]
"#;

/// The rows of the table `id` on `page`: each cell's raw value (`data-v`) and its text.
fn table_rows(page: &str, id: &str) -> Vec<Vec<(String, String)>> {
    let start = page
        .find(&format!("<table id=\"{id}\""))
        .unwrap_or_else(|| panic!("no table {id}"));
    let table = &page[start..start + page[start..].find("</table>").unwrap()];
    let body = &table[table.find("<tbody>").unwrap()..];
    body.split("<tr")
        .skip(1)
        .map(|row| {
            row.split("<td")
                .skip(1)
                .map(|cell| {
                    let at = cell.find("data-v=\"").unwrap() + 8;
                    let raw = &cell[at..at + cell[at..].find('"').unwrap()];
                    let text = &cell[cell.find('>').unwrap() + 1..cell.find("</td>").unwrap()];
                    (raw.to_string(), text.to_string())
                })
                .collect()
        })
        .collect()
}

/// The header texts of the table `id` on `page`.
fn table_headers(page: &str, id: &str) -> Vec<String> {
    let start = page.find(&format!("<table id=\"{id}\"")).unwrap();
    let head = &page[start..start + page[start..].find("</thead>").unwrap()];
    let head = &head[head.find("<tr>").unwrap()..];
    head.split("<th")
        .skip(1)
        .map(|h| h[h.find('>').unwrap() + 1..h.find("</th>").unwrap()].to_string())
        .collect()
}

/// A count as the page writes it: thin spaces between thousands.
fn count_text(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push('\u{2009}');
        }
        out.push(c);
    }
    out
}

/// Bytes as the page writes them: whole bytes under 1 KiB, else three significant digits.
fn bytes_text(b: u64) -> String {
    if b < 1024 {
        return format!("{} B", count_text(b));
    }
    let (mut v, mut unit) = (b as f64 / 1024.0, "KiB");
    if v >= 1024.0 {
        (v, unit) = (v / 1024.0, "MiB");
    }
    let decimals = if v >= 100.0 {
        0
    } else if v >= 10.0 {
        1
    } else {
        2
    };
    format!("{v:.decimals$} {unit}")
}

#[test]
fn a_run_with_slices_has_a_slices_section() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = tmp.path().join("slices.toml");
    std::fs::write(&scenario, SLICES_TOML).unwrap();
    let dir = tmp.path().join("out");
    let o = Command::new(bin())
        .args(["run", "-q", "--out"])
        .arg(&dir)
        .arg(&scenario)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let page = std::fs::read_to_string(dir.join("report.html")).unwrap();
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    let slices = summary["slices"].as_object().unwrap();
    assert!(page.contains("<a href=\"#slices\">slices</a>"));
    assert!(page.contains("<section id=\"slices\">"));

    // A row per slice, in the page's units, each number the summary's.
    assert_eq!(
        table_headers(&page, "t-slices"),
        [
            "name",
            "elem",
            "len",
            "cap",
            "appends",
            "allocations",
            "bytes allocated",
            "garbage"
        ]
    );
    let rows = table_rows(&page, "t-slices");
    assert_eq!(rows.len(), slices.len());
    for row in &rows {
        let name = &row[0].1;
        let s = &slices[name.as_str()];
        assert_eq!(row[1].1, s["elem"].as_str().unwrap(), "{name}");
        let n = |k: &str| s[k].as_u64().unwrap();
        for (cell, key, text) in [
            (&row[2], "len", count_text(n("len"))),
            (&row[3], "cap", count_text(n("cap"))),
            (&row[4], "appends", count_text(n("appends"))),
            (&row[5], "allocs", count_text(n("allocs"))),
            (&row[6], "alloc_bytes", bytes_text(n("alloc_bytes"))),
            (&row[7], "garbage_bytes", bytes_text(n("garbage_bytes"))),
        ] {
            assert_eq!(cell.0, n(key).to_string(), "{name} {key}");
            assert_eq!(cell.1, text, "{name} {key}");
        }
    }
    // Go: 1000 appends to a nil []int64 grow it 12 times, to cap 1280; the made one never.
    let grow = rows.iter().find(|r| r[0].1 == "grow").unwrap();
    assert_eq!(
        (grow[3].1.as_str(), grow[5].1.as_str()),
        ("1\u{2009}280", "12")
    );
    let pre = rows.iter().find(|r| r[0].1 == "pre").unwrap();
    assert_eq!(
        (pre[3].1.as_str(), pre[5].1.as_str()),
        ("1\u{2009}000", "1")
    );

    // The growth events: slice_events.csv's rows, shown open (there are few).
    let csv = std::fs::read_to_string(dir.join("slice_events.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(lines.len(), 12);
    assert!(page.contains("<details open><summary>12 growths</summary>"));
    let events = table_rows(&page, "t-slice_events");
    assert_eq!(events.len(), lines.len());
    for (row, line) in events.iter().zip(&lines) {
        let raw: Vec<&str> = row.iter().map(|c| c.0.as_str()).collect();
        assert_eq!(raw.join(","), *line);
    }
    let last = events.last().unwrap();
    assert_eq!(last[5].1, "1\u{2009}280", "cap after");
    assert_eq!(last[7].1, "10.0 KiB", "bytes after: the 10240 B size class");

    // The plot, inline, and linked from the section.
    let fig = page
        .find("<figure id=\"plot-slice_growth\">")
        .expect("the plot");
    assert!(
        page[fig..]
            .trim_start_matches("<figure id=\"plot-slice_growth\">")
            .starts_with("<svg")
    );
    assert!(page.contains("<a href=\"#plot-slice_growth\">slice_growth</a>"));

    // Made again from the directory's files alone, the page is the same bytes.
    assert!(
        report_of(&dir) == page,
        "`gomemsim report` made another page"
    );

    // A run without slices has no such section.
    let maps = std::fs::read_to_string(results().join("map_growth/report.html")).unwrap();
    assert!(!maps.contains("id=\"slices\""));

    // In a browser: no script error, the section there.
    if let Some(chrome) = chromium("a_run_with_slices_has_a_slices_section") {
        let (dom, _) = dump_dom(&chrome, &dir.join("report.html"), "");
        assert_eq!(body_attr(&dom, "data-errors"), None, "script errors");
        assert!(dom.contains("<table id=\"t-slices\""));
    }
}
