//! A report as a PDF (SPEC C8.3): the title and period, the chart drawn as
//! vector graphics (bars, stacked bars, lines, pie or the number), the table of
//! points and, when asked, the conversations counted. Written with `pdf-writer`
//! (typst's maintained low-level PDF writer) in the standard Helvetica faces, so
//! no font is embedded and the text can be read back (`pdftotext`).
//!
//! Text is encoded in WinAnsi: characters outside it print as `?`.

use crate::types::{ChartKind, DrillRow, ReportResult};
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

/// Conversations a PDF lists at most (the CSV lists them all).
pub const PDF_ROW_LIMIT: usize = 1_000;

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 40.0;
const BOTTOM: f32 = 56.0;
const REGULAR: Name<'static> = Name(b"F1");
const BOLD: Name<'static> = Name(b"F2");

/// Series colours (the app's chart palette).
const PALETTE: [(u8, u8, u8); 8] = [
    (0x4f, 0x46, 0xe5),
    (0x0e, 0xa5, 0xe9),
    (0x10, 0xb9, 0x81),
    (0xf5, 0x9e, 0x0b),
    (0xef, 0x44, 0x44),
    (0x8b, 0x5c, 0xf6),
    (0x14, 0xb8, 0xa6),
    (0x64, 0x74, 0x8b),
];
const INK: (u8, u8, u8) = (0x1f, 0x29, 0x37);
const MUTED: (u8, u8, u8) = (0x6b, 0x72, 0x80);
const RULE: (u8, u8, u8) = (0xe5, 0xe7, 0xeb);

/// Helvetica's advance widths (per 1000 units of size) for ASCII 32–126.
const WIDTHS: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667,
    611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500,
    222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];

/// The WinAnsi byte of a character (`?` when it has none).
fn win_ansi(c: char) -> u8 {
    match c {
        ' '..='~' => c as u8,
        '\u{a0}'..='\u{ff}' => u8::try_from(u32::from(c)).unwrap_or(b'?'),
        '€' => 0x80,
        '‚' => 0x82,
        '„' => 0x84,
        '…' => 0x85,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '™' => 0x99,
        '\t' | '\n' | '\r' => b' ',
        _ => b'?',
    }
}

fn char_width(c: char, size: f32, bold: bool) -> f32 {
    let w = match c {
        ' '..='~' => WIDTHS[(c as usize) - 32],
        _ => 556,
    };
    let w = f32::from(w) * size / 1000.0;
    if bold {
        w * 1.06
    } else {
        w
    }
}

/// The width of `s` at `size`.
fn width(s: &str, size: f32, bold: bool) -> f32 {
    s.chars().map(|c| char_width(c, size, bold)).sum()
}

/// `s` cut to fit `max` points, with an ellipsis when cut.
fn fit(s: &str, size: f32, bold: bool, max: f32) -> String {
    if width(s, size, bold) <= max {
        return s.to_owned();
    }
    let room = max - char_width('…', size, bold);
    let mut out = String::new();
    let mut used = 0.0;
    for c in s.chars() {
        let w = char_width(c, size, bold);
        if used + w > room {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    out
}

fn rgb(c: (u8, u8, u8)) -> (f32, f32, f32) {
    (
        f32::from(c.0) / 255.0,
        f32::from(c.1) / 255.0,
        f32::from(c.2) / 255.0,
    )
}

/// Pages being written, top to bottom.
struct Doc {
    pages: Vec<Content>,
    y: f32,
}

impl Doc {
    fn new() -> Self {
        Self {
            pages: vec![Content::new()],
            y: PAGE_H - MARGIN,
        }
    }

    fn page(&mut self) -> &mut Content {
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    /// Starts a new page when less than `h` points are left.
    fn room(&mut self, h: f32) -> bool {
        if self.y - h < BOTTOM {
            self.pages.push(Content::new());
            self.y = PAGE_H - MARGIN;
            true
        } else {
            false
        }
    }

    fn text(&mut self, x: f32, y: f32, size: f32, bold: bool, color: (u8, u8, u8), s: &str) {
        let bytes: Vec<u8> = s.chars().map(win_ansi).collect();
        let (r, g, b) = rgb(color);
        let c = self.page();
        c.set_fill_rgb(r, g, b);
        c.begin_text();
        c.set_font(if bold { BOLD } else { REGULAR }, size);
        c.next_line(x, y);
        c.show(Str(&bytes));
        c.end_text();
    }

    /// Text whose right edge is at `x`.
    fn text_right(&mut self, x: f32, y: f32, size: f32, bold: bool, color: (u8, u8, u8), s: &str) {
        let w = width(s, size, bold);
        self.text(x - w, y, size, bold, color, s);
    }

    fn fill_rect(&mut self, x: f32, y: f32, w: f32, h: f32, color: (u8, u8, u8)) {
        let (r, g, b) = rgb(color);
        let c = self.page();
        c.set_fill_rgb(r, g, b);
        c.rect(x, y, w, h);
        c.fill_nonzero();
    }

    fn line(&mut self, from: (f32, f32), to: (f32, f32), w: f32, color: (u8, u8, u8)) {
        let (r, g, b) = rgb(color);
        let c = self.page();
        c.set_stroke_rgb(r, g, b);
        c.set_line_width(w);
        c.move_to(from.0, from.1);
        c.line_to(to.0, to.1);
        c.stroke();
    }

    /// A table: a bold header, then rows; columns are (title, width, right-aligned).
    fn table(&mut self, cols: &[(&str, f32, bool)], rows: &[Vec<String>]) {
        let size = 9.0;
        let row_h = 15.0;
        let header = |d: &mut Doc| {
            let mut x = MARGIN;
            for (title, w, right) in cols {
                if *right {
                    d.text_right(x + w - 4.0, d.y - 11.0, size, true, INK, title);
                } else {
                    d.text(x, d.y - 11.0, size, true, INK, title);
                }
                x += w;
            }
            d.y -= row_h;
            d.line((MARGIN, d.y), (PAGE_W - MARGIN, d.y), 0.8, MUTED);
        };
        self.room(row_h * 2.0);
        header(self);
        for row in rows {
            if self.room(row_h) {
                header(self);
            }
            let mut x = MARGIN;
            for ((_, w, right), cell) in cols.iter().zip(row) {
                let s = fit(cell, size, false, w - 8.0);
                if *right {
                    self.text_right(x + w - 4.0, self.y - 11.0, size, false, INK, &s);
                } else {
                    self.text(x, self.y - 11.0, size, false, INK, &s);
                }
                x += w;
            }
            self.y -= row_h;
            self.line((MARGIN, self.y), (PAGE_W - MARGIN, self.y), 0.4, RULE);
        }
    }

    fn finish(mut self, title: &str, footer: &str) -> Vec<u8> {
        let n = self.pages.len();
        for i in 0..n {
            let label = format!("{footer} · Page {} of {n}", i + 1);
            let bytes: Vec<u8> = label.chars().map(win_ansi).collect();
            let (r, g, b) = rgb(MUTED);
            let c = &mut self.pages[i];
            c.set_fill_rgb(r, g, b);
            c.begin_text();
            c.set_font(REGULAR, 8.0);
            c.next_line(MARGIN, 28.0);
            c.show(Str(&bytes));
            c.end_text();
        }
        let mut pdf = Pdf::new();
        let catalog = Ref::new(1);
        let tree = Ref::new(2);
        let regular = Ref::new(3);
        let bold = Ref::new(4);
        let info = Ref::new(5);
        let first = 6;
        let ids: Vec<(Ref, Ref)> = (0..n)
            .map(|i| {
                let i = i32::try_from(i).unwrap_or(i32::MAX / 2 - first);
                (Ref::new(first + 2 * i), Ref::new(first + 2 * i + 1))
            })
            .collect();
        pdf.catalog(catalog).pages(tree);
        pdf.pages(tree)
            .kids(ids.iter().map(|(p, _)| *p))
            .count(i32::try_from(n).unwrap_or(i32::MAX));
        pdf.type1_font(regular)
            .base_font(Name(b"Helvetica"))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
        pdf.type1_font(bold)
            .base_font(Name(b"Helvetica-Bold"))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
        pdf.document_info(info)
            .title(TextStr(title))
            .producer(TextStr("Switchboard"));
        for ((page_id, content_id), content) in ids.iter().zip(self.pages) {
            let mut page = pdf.page(*page_id);
            page.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H));
            page.parent(tree);
            page.contents(*content_id);
            let mut res = page.resources();
            let mut fonts = res.fonts();
            fonts.pair(REGULAR, regular);
            fonts.pair(BOLD, bold);
            fonts.finish();
            res.finish();
            page.finish();
            pdf.stream(*content_id, &content.finish());
        }
        pdf.finish()
    }
}

/// A round axis maximum at or above `max` (1, 2, 2.5 or 5 times a power of ten).
fn nice_max(max: f64) -> f64 {
    if max <= 0.0 {
        return 1.0;
    }
    let mag = 10f64.powf(max.log10().floor());
    for step in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if step * mag >= max {
            return step * mag;
        }
    }
    10.0 * mag
}

fn axis_label(v: f64) -> String {
    if v.fract().abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// Keys and labels, in order of first appearance.
type Keyed = Vec<(String, String)>;

/// The groups and series of a result.
fn layout(r: &ReportResult) -> (Keyed, Keyed) {
    let mut groups: Keyed = Vec::new();
    let mut series: Keyed = Vec::new();
    for p in &r.points {
        if !groups.iter().any(|(k, _)| *k == p.key) {
            groups.push((p.key.clone(), p.label.clone()));
        }
        if !series.iter().any(|(k, _)| *k == p.series) {
            series.push((p.series.clone(), p.series_label.clone()));
        }
    }
    (groups, series)
}

fn value_at(r: &ReportResult, group: &str, series: &str) -> f64 {
    r.points
        .iter()
        .find(|p| p.key == group && p.series == series)
        .and_then(|p| p.value)
        .unwrap_or(0.0)
}

/// Draws the chart in a box `h` points high below the current line.
#[expect(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    reason = "chart geometry in points"
)]
fn chart(d: &mut Doc, r: &ReportResult) {
    let kind = r.spec.chart;
    if kind == ChartKind::Table || r.points.is_empty() {
        return;
    }
    if kind == ChartKind::Number {
        d.room(80.0);
        d.text(MARGIN, d.y - 44.0, 36.0, true, PALETTE[0], &r.total);
        d.text(
            MARGIN,
            d.y - 62.0,
            10.0,
            false,
            MUTED,
            &format!("over {} {}", r.total_count, r.population),
        );
        d.y -= 80.0;
        return;
    }
    let h = 250.0;
    d.room(h + 20.0);
    let (groups, series) = layout(r);
    let top = d.y - 10.0;
    if kind == ChartKind::Pie {
        let total: f64 = groups
            .iter()
            .map(|(k, _)| value_at(r, k, "").max(0.0))
            .sum();
        let (cx, cy, rad) = (MARGIN + 120.0, top - 120.0, 110.0);
        let mut angle = std::f64::consts::FRAC_PI_2;
        let mut ly = top - 14.0;
        for (i, (key, label)) in groups.iter().enumerate() {
            let v = value_at(r, key, "").max(0.0);
            let color = PALETTE[i % PALETTE.len()];
            if total > 0.0 && v > 0.0 {
                let sweep = v / total * std::f64::consts::TAU;
                let steps = ((sweep / 0.05).ceil() as usize).max(2);
                let (cr, cg, cb) = rgb(color);
                let c = d.page();
                c.set_fill_rgb(cr, cg, cb);
                c.move_to(cx, cy);
                for s in 0..=steps {
                    let a = angle - sweep * (s as f64) / (steps as f64);
                    c.line_to(cx + rad * a.cos() as f32, cy + rad * a.sin() as f32);
                }
                c.close_path();
                c.fill_nonzero();
                angle -= sweep;
            }
            if ly > top - h + 10.0 {
                let share = if total > 0.0 { v / total * 100.0 } else { 0.0 };
                d.fill_rect(MARGIN + 270.0, ly - 1.0, 8.0, 8.0, color);
                let text = fit(
                    &format!("{label}: {} ({share:.0}%)", axis_label(v)),
                    9.0,
                    false,
                    PAGE_W - MARGIN - (MARGIN + 284.0),
                );
                d.text(MARGIN + 284.0, ly, 9.0, false, INK, &text);
                ly -= 14.0;
            }
        }
        d.y = top - h;
        return;
    }
    // Bars, stacked bars, lines: the axes.
    let stacked = kind == ChartKind::Stacked;
    let legend = series.len() > 1;
    let plot_left = MARGIN + 44.0;
    let plot_right = PAGE_W - MARGIN;
    let plot_top = top - if legend { 22.0 } else { 4.0 };
    let plot_bottom = top - h + 26.0;
    let max = if stacked {
        groups
            .iter()
            .map(|(g, _)| {
                series
                    .iter()
                    .map(|(s, _)| value_at(r, g, s).max(0.0))
                    .sum::<f64>()
            })
            .fold(0.0, f64::max)
    } else {
        r.points.iter().filter_map(|p| p.value).fold(0.0, f64::max)
    };
    let max = nice_max(max);
    let y_of = |v: f64| plot_bottom + ((v / max) as f32) * (plot_top - plot_bottom);
    for i in 0..=4 {
        let v = max * f64::from(i) / 4.0;
        let y = y_of(v);
        d.line((plot_left, y), (plot_right, y), 0.4, RULE);
        d.text_right(plot_left - 4.0, y - 3.0, 8.0, false, MUTED, &axis_label(v));
    }
    if legend {
        let mut x = plot_left;
        for (i, (_, label)) in series.iter().enumerate() {
            let text = fit(label, 8.0, false, 90.0);
            let w = width(&text, 8.0, false) + 22.0;
            if x + w > plot_right {
                break;
            }
            d.fill_rect(x, top - 10.0, 8.0, 8.0, PALETTE[i % PALETTE.len()]);
            d.text(x + 11.0, top - 9.0, 8.0, false, INK, &text);
            x += w;
        }
    }
    let n = groups.len().max(1);
    let slot = (plot_right - plot_left) / n as f32;
    // Every k-th category is labelled so the labels do not overlap.
    let every = ((52.0 / slot).ceil() as usize).max(1);
    for (i, (_, label)) in groups.iter().enumerate() {
        if i % every == 0 {
            let text = fit(label, 7.0, false, slot * every as f32 - 4.0);
            let x = plot_left + slot * i as f32 + slot / 2.0 - width(&text, 7.0, false) / 2.0;
            d.text(x, plot_bottom - 12.0, 7.0, false, MUTED, &text);
        }
    }
    if kind == ChartKind::Line {
        for (si, (s, _)) in series.iter().enumerate() {
            let (cr, cg, cb) = rgb(PALETTE[si % PALETTE.len()]);
            let c = d.page();
            c.set_stroke_rgb(cr, cg, cb);
            c.set_line_width(1.6);
            for (i, (g, _)) in groups.iter().enumerate() {
                let x = plot_left + slot * i as f32 + slot / 2.0;
                let y = y_of(value_at(r, g, s));
                if i == 0 {
                    c.move_to(x, y);
                } else {
                    c.line_to(x, y);
                }
            }
            c.stroke();
        }
    } else {
        let inner = slot * 0.7;
        for (i, (g, _)) in groups.iter().enumerate() {
            let x0 = plot_left + slot * i as f32 + (slot - inner) / 2.0;
            let mut base = 0.0;
            for (si, (s, _)) in series.iter().enumerate() {
                let v = value_at(r, g, s).max(0.0);
                let color = PALETTE[si % PALETTE.len()];
                if stacked {
                    let (y0, y1) = (y_of(base), y_of(base + v));
                    d.fill_rect(x0, y0, inner, y1 - y0, color);
                    base += v;
                } else {
                    let w = inner / series.len() as f32;
                    let y1 = y_of(v);
                    d.fill_rect(x0 + w * si as f32, plot_bottom, w, y1 - plot_bottom, color);
                }
            }
        }
    }
    d.line(
        (plot_left, plot_bottom),
        (plot_right, plot_bottom),
        0.8,
        MUTED,
    );
    d.y = top - h;
}

/// The PDF of a computed report: `name` as its title, `made` (when, as shown)
/// in the footer, and `rows` (the conversations counted, at most
/// [`PDF_ROW_LIMIT`]) of `rows_total` after the points.
pub fn render(
    name: &str,
    workspace: &str,
    made: &str,
    r: &ReportResult,
    rows: Option<(&[DrillRow], u64)>,
) -> Vec<u8> {
    let mut d = Doc::new();
    let head = fit(name, 18.0, true, PAGE_W - 2.0 * MARGIN);
    d.text(MARGIN, d.y - 18.0, 18.0, true, INK, &head);
    d.y -= 34.0;
    d.text(
        MARGIN,
        d.y,
        10.0,
        false,
        MUTED,
        &format!("{} · {} · times in {}", r.title, r.period, r.zone),
    );
    d.y -= 16.0;
    d.text(
        MARGIN,
        d.y,
        11.0,
        true,
        INK,
        &format!("Total: {} over {} {}", r.total, r.total_count, r.population),
    );
    d.y -= 14.0;
    chart(&mut d, r);
    d.y -= 18.0;
    d.room(40.0);
    d.text(MARGIN, d.y, 12.0, true, INK, "Figures");
    d.y -= 8.0;
    let split = r.points.iter().any(|p| !p.series.is_empty());
    let table_rows: Vec<Vec<String>> = r
        .points
        .iter()
        .map(|p| {
            let mut row = vec![p.label.clone()];
            if split {
                row.push(p.series_label.clone());
            }
            row.push(if p.shown.is_empty() {
                "-".to_owned()
            } else {
                p.shown.clone()
            });
            row.push(p.count.to_string());
            row
        })
        .collect();
    let full = PAGE_W - 2.0 * MARGIN;
    let mut cols: Vec<(&str, f32, bool)> = Vec::new();
    if split {
        cols.push(("Group", full * 0.35, false));
        cols.push(("Series", full * 0.3, false));
        cols.push((r.title.as_str(), full * 0.2, true));
        cols.push(("Conversations", full * 0.15, true));
    } else {
        cols.push(("Group", full * 0.5, false));
        cols.push((r.title.as_str(), full * 0.25, true));
        cols.push(("Conversations", full * 0.25, true));
    }
    if table_rows.is_empty() {
        d.y -= 16.0;
        d.text(
            MARGIN,
            d.y,
            10.0,
            false,
            MUTED,
            "No conversations in this period.",
        );
        d.y -= 8.0;
    } else {
        d.table(&cols, &table_rows);
    }
    if let Some((rows, total)) = rows {
        d.y -= 24.0;
        d.room(40.0);
        let shown = rows.len().min(PDF_ROW_LIMIT);
        let heading = if (shown as u64) < total {
            format!("Conversations (the first {shown} of {total}; the CSV export lists them all)")
        } else {
            format!("Conversations ({total})")
        };
        d.text(MARGIN, d.y, 12.0, true, INK, &heading);
        d.y -= 8.0;
        let cols = [
            ("Ticket", full * 0.12, false),
            ("Created", full * 0.17, false),
            ("Channel", full * 0.12, false),
            ("Status", full * 0.12, false),
            ("Subject", full * 0.32, false),
            ("Value", full * 0.15, true),
        ];
        let body: Vec<Vec<String>> = rows
            .iter()
            .take(shown)
            .map(|c| {
                vec![
                    crate::types::ticket_ref(c.number),
                    c.created_at
                        .get(..16)
                        .unwrap_or(&c.created_at)
                        .replace('T', " "),
                    c.channel.clone(),
                    c.status.clone(),
                    c.subject.clone(),
                    c.value.clone(),
                ]
            })
            .collect();
        d.table(&cols, &body);
    }
    d.finish(name, &format!("{workspace} · {name} · made {made}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_cut_to_fit_with_an_ellipsis() {
        assert_eq!(fit("Short", 10.0, false, 200.0), "Short");
        let cut = fit("A subject far too long for its column", 10.0, false, 60.0);
        assert!(cut.ends_with('…'), "{cut}");
        assert!(width(&cut, 10.0, false) <= 60.0);
    }

    #[test]
    fn winansi_keeps_latin_text_and_marks_the_rest() {
        let bytes: Vec<u8> = "Café – 5€ 日".chars().map(win_ansi).collect();
        assert_eq!(
            bytes,
            vec![b'C', b'a', b'f', 0xe9, b' ', 0x96, b' ', b'5', 0x80, b' ', b'?']
        );
    }

    #[test]
    fn axis_maxima_are_round() {
        assert!((nice_max(7.0) - 10.0).abs() < 1e-9);
        assert!((nice_max(130.0) - 200.0).abs() < 1e-9);
        assert!((nice_max(0.9) - 1.0).abs() < 1e-9);
        assert!((nice_max(0.0) - 1.0).abs() < 1e-9);
    }
}
