//! Knowledge-base HTML utilities: plain-text conversion, section chunking
//! with stable anchors, heading ids, slugs, line diffs and excerpts.
//!
//! The input HTML is expected to be sanitized already (h1–h4, p, br, ul, ol,
//! li, strong, b, em, i, a, code, pre, blockquote, img, table/tr/td/th, hr).
//! A small hand-written tokenizer is used; unknown tags are treated as
//! inline, comments and `<script>`/`<style>` contents are skipped, and a `<`
//! that does not start a tag is kept as text.
//!
//! Sections are split at h2/h3 headings. Only when an article has no h2/h3
//! at all are h1/h4 used instead. [`chunk_html`] and [`add_heading_ids`]
//! compute anchors the same way, so `url#anchor` links resolve for every
//! chunk that starts at a heading.

use std::collections::HashSet;

use super::textutil::split_sentences;

#[derive(Debug)]
enum Node<'a> {
    Text(&'a str),
    Open {
        name: String,
        attrs: &'a str,
        start: usize,
        end: usize,
    },
    Close {
        name: String,
    },
}

fn tag_name(s: &str) -> String {
    s.chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase()
}

/// Tokenizes HTML into text runs and tags (byte offsets kept for tags).
fn parse<'a>(html: &'a str) -> Vec<Node<'a>> {
    let bytes = html.as_bytes();
    let len = bytes.len();
    let mut out = Vec::new();
    let mut i = 0;
    let mut text_start = 0;
    let push_text = |out: &mut Vec<Node<'a>>, from: usize, to: usize| {
        if from < to {
            out.push(Node::Text(&html[from..to]));
        }
    };
    while i < len {
        if bytes[i] != b'<' {
            i += 1;
            continue;
        }
        if html[i..].starts_with("<!--") {
            push_text(&mut out, text_start, i);
            i = html[i + 4..].find("-->").map_or(len, |p| i + 4 + p + 3);
            text_start = i;
            continue;
        }
        let starts_tag = bytes
            .get(i + 1)
            .is_some_and(|c| c.is_ascii_alphabetic() || matches!(c, b'/' | b'!' | b'?'));
        if !starts_tag {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        let mut quote: Option<u8> = None;
        while j < len {
            let c = bytes[j];
            match quote {
                Some(q) if c == q => quote = None,
                Some(_) => {}
                None if c == b'"' || c == b'\'' => quote = Some(c),
                None if c == b'>' => break,
                None => {}
            }
            j += 1;
        }
        if j >= len {
            // Unterminated tag: keep the rest as text.
            break;
        }
        push_text(&mut out, text_start, i);
        let inner = &html[i + 1..j];
        if let Some(rest) = inner.strip_prefix('/') {
            out.push(Node::Close {
                name: tag_name(rest.trim_start()),
            });
        } else if !inner.starts_with(['!', '?']) {
            let name = tag_name(inner);
            let attrs = inner[name.len()..].trim_end().trim_end_matches('/');
            out.push(Node::Open {
                name,
                attrs,
                start: i,
                end: j + 1,
            });
        }
        i = j + 1;
        text_start = i;
    }
    push_text(&mut out, text_start, len);
    out
}

fn named_entity(name: &str) -> Option<char> {
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" | "ensp" | "emsp" | "thinsp" => ' ',
        "ndash" => '\u{2013}',
        "mdash" => '\u{2014}',
        "hellip" => '\u{2026}',
        "lsquo" => '\u{2018}',
        "rsquo" => '\u{2019}',
        "ldquo" => '\u{201c}',
        "rdquo" => '\u{201d}',
        "laquo" => '\u{ab}',
        "raquo" => '\u{bb}',
        "bull" => '\u{2022}',
        "middot" => '\u{b7}',
        "copy" => '\u{a9}',
        "reg" => '\u{ae}',
        "trade" => '\u{2122}',
        "euro" => '\u{20ac}',
        "pound" => '\u{a3}',
        "yen" => '\u{a5}',
        "cent" => '\u{a2}',
        "deg" => '\u{b0}',
        "times" => '\u{d7}',
        "divide" => '\u{f7}',
        "eacute" => 'é',
        "egrave" => 'è',
        "ecirc" => 'ê',
        "aacute" => 'á',
        "agrave" => 'à',
        "acirc" => 'â',
        "iacute" => 'í',
        "oacute" => 'ó',
        "uacute" => 'ú',
        "ntilde" => 'ñ',
        "auml" => 'ä',
        "ouml" => 'ö',
        "uuml" => 'ü',
        "ccedil" => 'ç',
        "szlig" => 'ß',
        "Eacute" => 'É',
        "Auml" => 'Ä',
        "Ouml" => 'Ö',
        "Uuml" => 'Ü',
        _ => return None,
    })
}

fn decode_entity(name: &str) -> Option<char> {
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse::<u32>().ok()?,
        };
        return Some(
            char::from_u32(code)
                .filter(|c| *c != '\0')
                .unwrap_or('\u{fffd}'),
        );
    }
    named_entity(name)
}

/// Decodes named (common set) and numeric character references; unknown or
/// malformed references are left as written.
fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(p) = rest.find('&') {
        out.push_str(&rest[..p]);
        let after = &rest[p + 1..];
        let semi = after
            .char_indices()
            .take(12)
            .find(|&(_, c)| c == ';')
            .map(|(i, _)| i);
        if let Some(ch) = semi.and_then(|si| decode_entity(&after[..si]).map(|c| (si, c))) {
            out.push(ch.1);
            rest = &after[ch.0 + 1..];
        } else {
            out.push('&');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// Accumulates text into whitespace-collapsed lines.
#[derive(Default)]
struct TextBuilder {
    lines: Vec<String>,
    cur: String,
    space: bool,
    pre: usize,
}

impl TextBuilder {
    fn push_text(&mut self, s: &str) {
        for c in s.chars() {
            if c == '\n' && self.pre > 0 {
                self.newline();
                continue;
            }
            if c.is_whitespace() {
                self.space = true;
                continue;
            }
            if self.space && !self.cur.is_empty() && !self.cur.ends_with(' ') {
                self.cur.push(' ');
            }
            self.space = false;
            self.cur.push(c);
        }
    }

    fn newline(&mut self) {
        let t = self.cur.trim();
        if !t.is_empty() {
            self.lines.push(t.to_string());
        }
        self.cur.clear();
        self.space = false;
    }

    fn cell(&mut self) {
        if !self.cur.trim().is_empty() {
            self.cur.push_str(" | ");
            self.space = false;
        }
    }

    fn take_lines(&mut self) -> Vec<String> {
        self.newline();
        std::mem::take(&mut self.lines)
    }
}

const BLOCK_TAGS: &[&str] = &[
    "p",
    "div",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "li",
    "blockquote",
    "pre",
    "table",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "hr",
    "br",
    "section",
    "article",
    "header",
    "footer",
    "dl",
    "dt",
    "dd",
    "figure",
    "figcaption",
];

struct Heading {
    /// Index of the opening tag in the node list.
    node: usize,
    text: String,
}

struct Section {
    /// Index into `Walk::headings`; `None` for the intro.
    heading: Option<usize>,
    lines: Vec<String>,
}

struct Walk {
    headings: Vec<Heading>,
    sections: Vec<Section>,
}

/// Which heading tags start sections: h2/h3, or h1/h4 when there is no
/// h2/h3 at all.
fn split_levels(nodes: &[Node<'_>]) -> &'static [&'static str] {
    let has_h23 = nodes
        .iter()
        .any(|n| matches!(n, Node::Open { name, .. } if name == "h2" || name == "h3"));
    if has_h23 {
        &["h2", "h3"]
    } else {
        &["h1", "h4"]
    }
}

fn walk(nodes: &[Node<'_>], split: &[&str]) -> Walk {
    let mut w = Walk {
        headings: Vec::new(),
        sections: vec![Section {
            heading: None,
            lines: Vec::new(),
        }],
    };
    let mut body = TextBuilder::default();
    let mut heading: Option<(usize, TextBuilder)> = None;
    let mut skip_depth = 0usize;

    fn finish_heading(w: &mut Walk, h: (usize, TextBuilder)) {
        let (node, mut tb) = h;
        let text = tb.take_lines().join(" ");
        w.headings.push(Heading { node, text });
        w.sections.push(Section {
            heading: Some(w.headings.len() - 1),
            lines: Vec::new(),
        });
    }

    for (idx, node) in nodes.iter().enumerate() {
        match node {
            Node::Text(t) => {
                if skip_depth > 0 {
                    continue;
                }
                let decoded = decode_entities(t);
                match heading.as_mut() {
                    Some((_, tb)) => tb.push_text(&decoded),
                    None => body.push_text(&decoded),
                }
            }
            Node::Open { name, .. } => {
                let name = name.as_str();
                if name == "script" || name == "style" {
                    skip_depth += 1;
                    continue;
                }
                if split.contains(&name) {
                    if let Some(h) = heading.take() {
                        finish_heading(&mut w, h);
                    }
                    let lines = body.take_lines();
                    if let Some(s) = w.sections.last_mut() {
                        s.lines.extend(lines);
                    }
                    heading = Some((idx, TextBuilder::default()));
                    continue;
                }
                if heading.is_some() && BLOCK_TAGS.contains(&name) && name != "br" {
                    if let Some(h) = heading.take() {
                        finish_heading(&mut w, h);
                    }
                }
                let tb = match heading.as_mut() {
                    Some((_, tb)) => tb,
                    None => &mut body,
                };
                match name {
                    "td" | "th" => tb.cell(),
                    "pre" => {
                        tb.newline();
                        tb.pre += 1;
                    }
                    _ if BLOCK_TAGS.contains(&name) => tb.newline(),
                    _ => {}
                }
            }
            Node::Close { name } => {
                let name = name.as_str();
                if name == "script" || name == "style" {
                    skip_depth = skip_depth.saturating_sub(1);
                    continue;
                }
                if split.contains(&name) {
                    if let Some(h) = heading.take() {
                        finish_heading(&mut w, h);
                    }
                    continue;
                }
                let tb = match heading.as_mut() {
                    Some((_, tb)) => tb,
                    None => &mut body,
                };
                if name == "pre" {
                    tb.pre = tb.pre.saturating_sub(1);
                }
                if BLOCK_TAGS.contains(&name) {
                    tb.newline();
                }
            }
        }
    }
    if let Some(h) = heading.take() {
        finish_heading(&mut w, h);
    }
    let lines = body.take_lines();
    if let Some(s) = w.sections.last_mut() {
        s.lines.extend(lines);
    }
    w
}

/// Plain text of `html`: block elements (paragraphs, headings, list items,
/// table rows, `br`, `hr`, ...) end lines, table cells are joined with
/// " | ", entities are decoded, whitespace is collapsed within lines, and
/// empty lines are dropped. Lines are joined with "\n".
pub fn html_to_text(html: &str) -> String {
    let nodes = parse(html);
    walk(&nodes, &[])
        .sections
        .into_iter()
        .flat_map(|s| s.lines)
        .collect::<Vec<_>>()
        .join("\n")
}

/// One section (or part of a long section) of an article.
#[derive(Debug, Clone, PartialEq)]
pub struct Chunk {
    /// 0-based position of the chunk in the article.
    pub position: usize,
    /// Section heading; the article title for the intro before the first
    /// heading.
    pub heading: String,
    /// Slug of the heading, unique within the article; "" for the intro.
    /// Later parts of a split section get "-2", "-3", ... appended (skipping
    /// values taken by real headings); those part anchors have no id in the
    /// HTML.
    pub anchor: String,
    /// Plain text of the section: paragraphs and list items on separate
    /// lines joined by "\n".
    pub text: String,
}

fn unique_anchors(headings: &[Heading]) -> Vec<String> {
    let mut used = HashSet::new();
    headings
        .iter()
        .map(|h| {
            let mut base = slugify(&h.text);
            if base.is_empty() {
                base = "section".to_string();
            }
            let mut cand = base.clone();
            let mut n = 2;
            while used.contains(&cand) {
                cand = format!("{base}-{n}");
                n += 1;
            }
            used.insert(cand.clone());
            cand
        })
        .collect()
}

fn char_len(s: &str) -> usize {
    s.chars().count()
}

/// Packs lines into parts of at most `max` characters, splitting at line
/// boundaries first, then at sentence boundaries, then at spaces.
fn pack(lines: &[String], max: usize) -> Vec<String> {
    let total = lines.join("\n");
    if max == 0 || char_len(&total) <= max {
        return vec![total];
    }
    // (text, starts a new line)
    let mut units: Vec<(String, bool)> = Vec::new();
    for line in lines {
        if char_len(line) <= max {
            units.push((line.clone(), true));
            continue;
        }
        let mut first = true;
        for sentence in split_sentences(line) {
            if char_len(&sentence) <= max {
                units.push((sentence, first));
                first = false;
                continue;
            }
            let mut cur = String::new();
            for word in sentence.split(' ') {
                if !cur.is_empty() && char_len(&cur) + 1 + char_len(word) > max {
                    units.push((std::mem::take(&mut cur), first));
                    first = false;
                }
                if !cur.is_empty() {
                    cur.push(' ');
                }
                cur.push_str(word);
            }
            if !cur.is_empty() {
                units.push((cur, first));
                first = false;
            }
        }
    }
    let mut parts = Vec::new();
    let mut cur = String::new();
    for (unit, new_line) in units {
        if cur.is_empty() {
            cur = unit;
        } else if char_len(&cur) + 1 + char_len(&unit) <= max {
            cur.push(if new_line { '\n' } else { ' ' });
            cur.push_str(&unit);
        } else {
            parts.push(std::mem::replace(&mut cur, unit));
        }
    }
    if !cur.is_empty() {
        parts.push(cur);
    }
    parts
}

/// Splits an article into chunks at h2/h3 headings (h1/h4 when the article
/// has no h2/h3). The intro before the first heading is a chunk whose heading
/// is `title` and whose anchor is "". Sections without text are dropped.
/// Sections longer than `max_chars` characters (0 = no limit) are split at
/// paragraph boundaries (then sentences, then words, for oversize
/// paragraphs); the parts share the heading and get anchors "-2", "-3", ...
pub fn chunk_html(title: &str, html: &str, max_chars: usize) -> Vec<Chunk> {
    let nodes = parse(html);
    let w = walk(&nodes, split_levels(&nodes));
    let anchors = unique_anchors(&w.headings);
    let mut used: HashSet<String> = anchors.iter().cloned().collect();
    let title = title.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut chunks = Vec::new();
    for section in &w.sections {
        if section.lines.is_empty() {
            continue;
        }
        let (heading, anchor) = match section.heading {
            None => (title.clone(), String::new()),
            Some(i) => (w.headings[i].text.clone(), anchors[i].clone()),
        };
        let base = if anchor.is_empty() {
            "intro".to_string()
        } else {
            anchor.clone()
        };
        let mut n = 2;
        for (k, text) in pack(&section.lines, max_chars).into_iter().enumerate() {
            let anchor = if k == 0 {
                anchor.clone()
            } else {
                let mut cand = format!("{base}-{n}");
                while used.contains(&cand) {
                    n += 1;
                    cand = format!("{base}-{n}");
                }
                n += 1;
                used.insert(cand.clone());
                cand
            };
            chunks.push(Chunk {
                position: chunks.len(),
                heading: heading.clone(),
                anchor,
                text,
            });
        }
    }
    chunks
}

/// Removes any `id` attribute from a raw attribute string, keeping the others
/// verbatim (each preceded by one space).
fn strip_id_attr(attrs: &str) -> String {
    let b = attrs.as_bytes();
    let len = b.len();
    let mut out = String::new();
    let mut i = 0;
    while i < len {
        while i < len && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= len {
            break;
        }
        let start = i;
        while i < len && !b[i].is_ascii_whitespace() && b[i] != b'=' {
            i += 1;
        }
        let name = attrs[start..i].to_ascii_lowercase();
        let mut j = i;
        while j < len && b[j].is_ascii_whitespace() {
            j += 1;
        }
        if j < len && b[j] == b'=' {
            j += 1;
            while j < len && b[j].is_ascii_whitespace() {
                j += 1;
            }
            if j < len && (b[j] == b'"' || b[j] == b'\'') {
                let q = b[j];
                j += 1;
                while j < len && b[j] != q {
                    j += 1;
                }
                j = (j + 1).min(len);
            } else {
                while j < len && !b[j].is_ascii_whitespace() {
                    j += 1;
                }
            }
            i = j;
        }
        if i == start {
            i += 1;
            continue;
        }
        if name != "id" {
            out.push(' ');
            out.push_str(&attrs[start..i]);
        }
    }
    out
}

/// Returns `html` with `id="<anchor>"` set on every section heading (h2/h3,
/// or h1/h4 when there is no h2/h3), using exactly the anchors
/// [`chunk_html`] assigns, so `url#anchor` links work. An existing `id` on
/// those headings is replaced; other attributes and all other markup are
/// kept byte for byte.
pub fn add_heading_ids(html: &str) -> String {
    let nodes = parse(html);
    let w = walk(&nodes, split_levels(&nodes));
    let anchors = unique_anchors(&w.headings);
    let mut out = String::with_capacity(html.len() + 24 * anchors.len());
    let mut last = 0;
    for (h, anchor) in w.headings.iter().zip(&anchors) {
        if let Some(Node::Open {
            name,
            attrs,
            start,
            end,
        }) = nodes.get(h.node)
        {
            out.push_str(&html[last..*start]);
            out.push('<');
            out.push_str(name);
            out.push_str(&strip_id_attr(attrs));
            out.push_str(" id=\"");
            out.push_str(anchor);
            out.push_str("\">");
            last = *end;
        }
    }
    out.push_str(&html[last..]);
    out
}

fn transliterate(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ą' => "a",
        'æ' => "ae",
        'ç' | 'č' | 'ć' => "c",
        'ď' | 'ð' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ę' | 'ě' => "e",
        'ğ' => "g",
        'ì' | 'í' | 'î' | 'ï' | 'ī' | 'ı' => "i",
        'ł' => "l",
        'ñ' | 'ń' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => "o",
        'œ' => "oe",
        'ř' => "r",
        'ś' | 'š' | 'ş' => "s",
        'ß' => "ss",
        'ť' => "t",
        'þ' => "th",
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' => "u",
        'ý' | 'ÿ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        _ => return None,
    })
}

fn is_slug_separator(c: char) -> bool {
    c.is_whitespace()
        || (c.is_ascii_punctuation() && c != '\'')
        || ('\u{2000}'..='\u{206f}').contains(&c) && c != '\u{2019}'
        || matches!(
            c,
            '\u{a1}' | '\u{ab}' | '\u{b7}' | '\u{bb}' | '\u{bf}' | '\u{d7}'
        )
}

/// URL slug of `s`: lowercase ASCII letters and digits, with every run of
/// spaces/punctuation turned into one "-", no leading/trailing "-".
/// Common accented Latin letters are transliterated (é→e, ü→u, ß→ss, ñ→n,
/// æ→ae); apostrophes and other non-ASCII characters are dropped. At most
/// 80 characters. "Track your order (US & EU)" → "track-your-order-us-eu".
pub fn slugify(s: &str) -> String {
    const MAX: usize = 80;
    let mut out = String::new();
    let mut pending_dash = false;
    for c in s.chars().flat_map(char::to_lowercase) {
        let piece: Option<&str> = if c.is_ascii_alphanumeric() {
            None
        } else if let Some(t) = transliterate(c) {
            Some(t)
        } else {
            if is_slug_separator(c) {
                pending_dash = true;
            }
            continue;
        };
        if pending_dash && !out.is_empty() {
            out.push('-');
        }
        pending_dash = false;
        match piece {
            Some(t) => out.push_str(t),
            None => out.push(c),
        }
        if out.len() >= MAX {
            break;
        }
    }
    out.truncate(MAX);
    while out.ends_with('-') {
        out.pop();
    }
    out
}

/// One line of a line diff.
#[derive(Debug, Clone, PartialEq)]
pub enum DiffOp {
    /// Line present in both versions.
    Same(String),
    /// Line only in the new version.
    Added(String),
    /// Line only in the old version.
    Removed(String),
}

/// Largest LCS table (cells) built after trimming the common prefix and
/// suffix; beyond it the changed middle is reported as removed-then-added.
const MAX_DIFF_CELLS: usize = 16_000_000;

/// Line-based diff of `old` → `new` (longest common subsequence). The common
/// prefix and suffix are trimmed first, and the LCS table uses `u16` cells,
/// so two 2,000-line inputs need at most 8 MB. Within a changed region,
/// removals come before additions. If the changed middle would need more than
/// 16 million cells, it is reported as all removed then all added (still a
/// correct, but not minimal, diff).
pub fn diff_lines(old: &str, new: &str) -> Vec<DiffOp> {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let mut pre = 0;
    while pre < a.len() && pre < b.len() && a[pre] == b[pre] {
        pre += 1;
    }
    let mut suf = 0;
    while suf < a.len() - pre && suf < b.len() - pre && a[a.len() - 1 - suf] == b[b.len() - 1 - suf]
    {
        suf += 1;
    }
    let mut ops: Vec<DiffOp> = a[..pre].iter().map(|l| DiffOp::Same((*l).into())).collect();
    diff_middle(&a[pre..a.len() - suf], &b[pre..b.len() - suf], &mut ops);
    ops.extend(a[a.len() - suf..].iter().map(|l| DiffOp::Same((*l).into())));
    ops
}

fn diff_middle(a: &[&str], b: &[&str], ops: &mut Vec<DiffOp>) {
    let (n, m) = (a.len(), b.len());
    let too_big =
        (n + 1).saturating_mul(m + 1) > MAX_DIFF_CELLS || n.min(m) > usize::from(u16::MAX);
    if n == 0 || m == 0 || too_big {
        ops.extend(a.iter().map(|l| DiffOp::Removed((*l).into())));
        ops.extend(b.iter().map(|l| DiffOp::Added((*l).into())));
        return;
    }
    let w = m + 1;
    // lcs[i * w + j] = LCS length of a[i..] and b[j..].
    let mut lcs = vec![0u16; (n + 1) * w];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i * w + j] = if a[i] == b[j] {
                lcs[(i + 1) * w + j + 1].saturating_add(1)
            } else {
                lcs[(i + 1) * w + j].max(lcs[i * w + j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    while i < n && j < m {
        if a[i] == b[j] {
            ops.push(DiffOp::Same(a[i].into()));
            i += 1;
            j += 1;
        } else if lcs[(i + 1) * w + j] >= lcs[i * w + j + 1] {
            ops.push(DiffOp::Removed(a[i].into()));
            i += 1;
        } else {
            ops.push(DiffOp::Added(b[j].into()));
            j += 1;
        }
    }
    ops.extend(a[i..].iter().map(|l| DiffOp::Removed((*l).into())));
    ops.extend(b[j..].iter().map(|l| DiffOp::Added((*l).into())));
}

/// `(added, removed)` line counts of a diff.
pub fn diff_stats(ops: &[DiffOp]) -> (usize, usize) {
    ops.iter().fold((0, 0), |(a, r), op| match op {
        DiffOp::Added(_) => (a + 1, r),
        DiffOp::Removed(_) => (a, r + 1),
        DiffOp::Same(_) => (a, r),
    })
}

/// `text` with whitespace collapsed to single spaces, shortened to at most
/// `max_chars` characters: cut at the last word boundary that fits, trailing
/// punctuation such as "," or ":" dropped, and "…" appended (counted in
/// `max_chars`). A single word longer than the limit is cut mid-word.
pub fn excerpt(text: &str, max_chars: usize) -> String {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if char_len(&collapsed) <= max_chars {
        return collapsed;
    }
    if max_chars == 0 {
        return String::new();
    }
    let budget = max_chars - 1;
    let cut: String = collapsed.chars().take(budget).collect();
    let at_boundary = collapsed.chars().nth(budget) == Some(' ');
    let head = if at_boundary {
        cut.as_str()
    } else {
        match cut.rfind(' ') {
            Some(i) if i > 0 => &cut[..i],
            _ => cut.as_str(),
        }
    };
    let head = head.trim_end_matches(|c: char| {
        c.is_whitespace() || matches!(c, ',' | ';' | ':' | '-' | '\u{2013}' | '\u{2014}' | '(')
    });
    let head = if head.is_empty() { cut.as_str() } else { head };
    format!("{head}\u{2026}")
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const ARTICLE: &str = "<p>We want you to love your gear. If something isn&#39;t right, \
        you can return it.</p>\n\
        <h2>Return window</h2>\n\
        <p>Unworn items can be returned within <strong>30&nbsp;days</strong> of delivery.</p>\n\
        <h2 class=\"lead\" id=\"old-id\">How to start a return</h2>\n\
        <p>To start a return:</p>\n\
        <ol><li>Log in to your account</li><li>Open the order &amp; choose <em>Return \
        items</em></li>\n<li>Print the prepaid label</li></ol>\n\
        <h2>Refunds</h2>\n\
        <p>Refunds are issued to the original payment method within 5 days.</p>\n\
        <h3>Refunds</h3><p>Gift cards are refunded as store credit.</p>\n\
        <h2>Empty section</h2>\n";

    #[test]
    fn html_to_text_blocks_entities_tables() {
        let html = "<h1>Size&nbsp;guide</h1><p>Boots run <b>small</b>;<br>order &#x2B;1 \
                    size &lt;EU 40&gt; &copy; &bogus; AT&T</p>\
                    <ul><li>  Kids </li><li>Adults</li></ul>\
                    <table><tr><th>EU</th><th>US</th></tr><tr><td>40</td><td>7</td></tr></table>\
                    <pre>line 1\nline   2</pre><!-- hidden --><img src=\"a.png\" alt=\"x\">\
                    <p>1 < 2 and</p>";
        assert_eq!(
            html_to_text(html),
            "Size guide\nBoots run small;\norder +1 size <EU 40> © &bogus; AT&T\nKids\nAdults\n\
             EU | US\n40 | 7\nline 1\nline 2\n1 < 2 and"
        );
    }

    #[test]
    fn chunks_a_realistic_article() {
        let chunks = chunk_html("Returns &  refunds", ARTICLE, 1000);
        let summary: Vec<(&str, &str)> = chunks
            .iter()
            .map(|c| (c.heading.as_str(), c.anchor.as_str()))
            .collect();
        assert_eq!(
            summary,
            vec![
                ("Returns & refunds", ""),
                ("Return window", "return-window"),
                ("How to start a return", "how-to-start-a-return"),
                ("Refunds", "refunds"),
                ("Refunds", "refunds-2"),
            ]
        );
        assert_eq!(
            chunks[0].text,
            "We want you to love your gear. If something isn't right, you can return it."
        );
        assert_eq!(
            chunks[1].text,
            "Unworn items can be returned within 30 days of delivery."
        );
        assert_eq!(
            chunks[2].text,
            "To start a return:\nLog in to your account\nOpen the order & choose Return items\n\
             Print the prepaid label"
        );
        assert_eq!(chunks[4].text, "Gift cards are refunded as store credit.");
        assert!(chunks.iter().enumerate().all(|(i, c)| c.position == i));
    }

    #[test]
    fn long_sections_split_at_paragraphs() {
        let html = "<h2>Care</h2><p>Dry the tent fully before storing it away.</p>\
                    <p>Clean zips with warm water and a soft brush.</p>\
                    <p>Never machine wash the flysheet or the inner.</p>\
                    <h2>Care 2</h2><p>Second care heading.</p>";
        let chunks = chunk_html("Tent care", html, 100);
        let anchors: Vec<&str> = chunks.iter().map(|c| c.anchor.as_str()).collect();
        // "care-2" belongs to the real second heading, so the part skips it.
        assert_eq!(anchors, vec!["care", "care-3", "care-2"]);
        assert_eq!(
            chunks[0].text,
            "Dry the tent fully before storing it away.\nClean zips with warm water and a soft brush."
        );
        assert_eq!(chunks[1].heading, "Care");
        assert_eq!(
            chunks[1].text,
            "Never machine wash the flysheet or the inner."
        );
        assert!(chunks.iter().all(|c| c.text.chars().count() <= 100));
    }

    #[test]
    fn oversize_paragraph_splits_at_sentences() {
        let html = "<p>First sentence here. Second sentence here. Third one.</p>";
        let chunks = chunk_html("T", html, 30);
        let texts: Vec<&str> = chunks.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(
            texts,
            vec![
                "First sentence here.",
                "Second sentence here.",
                "Third one."
            ]
        );
        assert_eq!(chunks[1].anchor, "intro-2");
        assert_eq!(chunks[0].heading, "T");
    }

    #[test]
    fn h1_h4_are_fallback_split_levels() {
        let html = "<h1>Setup</h1><p>Pitch on flat ground.</p><h4>Pegs</h4><p>Angle pegs.</p>";
        let chunks = chunk_html("Guide", html, 0);
        let headings: Vec<&str> = chunks.iter().map(|c| c.heading.as_str()).collect();
        assert_eq!(headings, vec!["Setup", "Pegs"]);
        // With h2 present, h1 is ordinary text.
        let html = "<h1>Guide</h1><p>Intro.</p><h2>Setup</h2><p>Pitch.</p>";
        let chunks = chunk_html("Guide", html, 0);
        assert_eq!(chunks[0].text, "Guide\nIntro.");
        assert_eq!(chunks[1].anchor, "setup");
    }

    #[test]
    fn heading_ids_match_chunk_anchors() {
        let out = add_heading_ids(ARTICLE);
        assert!(out.contains("<h2 id=\"return-window\">Return window</h2>"));
        assert!(out.contains("<h2 class=\"lead\" id=\"how-to-start-a-return\">"));
        assert!(!out.contains("old-id"));
        assert!(out.contains("<h3 id=\"refunds-2\">Refunds</h3>"));
        assert!(out.contains("<h2 id=\"empty-section\">"));
        // Everything else is untouched.
        assert_eq!(html_to_text(&out), html_to_text(ARTICLE));
        for c in chunk_html("Returns", ARTICLE, 1000) {
            if !c.anchor.is_empty() {
                assert!(
                    out.contains(&format!("id=\"{}\"", c.anchor)),
                    "{}",
                    c.anchor
                );
            }
        }
        // Idempotent.
        assert_eq!(add_heading_ids(&out), out);
    }

    #[test]
    fn slugify_cases() {
        assert_eq!(
            slugify("Track your order (US & EU)"),
            "track-your-order-us-eu"
        );
        assert_eq!(
            slugify("Crème brûlée für Straße — Año"),
            "creme-brulee-fur-strasse-ano"
        );
        assert_eq!(slugify("Don't   panic!"), "dont-panic");
        assert_eq!(slugify("  --Hello__World--  "), "hello-world");
        assert_eq!(slugify("日本 guide"), "guide");
        assert_eq!(slugify("!!!"), "");
        let long = slugify(&"word ".repeat(40));
        assert!(long.len() <= 80 && !long.ends_with('-'));
        assert!(long.starts_with("word-word"));
    }

    #[test]
    fn diff_small_edits() {
        let ops = diff_lines("a\nb\nc\nd", "a\nB\nc\nd\ne");
        assert_eq!(
            ops,
            vec![
                DiffOp::Same("a".into()),
                DiffOp::Removed("b".into()),
                DiffOp::Added("B".into()),
                DiffOp::Same("c".into()),
                DiffOp::Same("d".into()),
                DiffOp::Added("e".into()),
            ]
        );
        assert_eq!(diff_stats(&ops), (2, 1));
        let same = diff_lines("x\ny", "x\ny");
        assert_eq!(diff_stats(&same), (0, 0));
        assert_eq!(same.len(), 2);
        assert_eq!(diff_stats(&diff_lines("", "p\nq")), (2, 0));
        assert_eq!(diff_stats(&diff_lines("p\nq", "")), (0, 2));
        // Moved line: one removal and one addition, rest kept.
        let ops = diff_lines("1\n2\n3\n4", "2\n3\n4\n1");
        assert_eq!(diff_stats(&ops), (1, 1));
    }

    #[test]
    fn diff_large_input_stays_minimal() {
        let old: Vec<String> = (0..2000).map(|i| format!("line {i}")).collect();
        let mut new = old.clone();
        new[700] = "changed".into();
        new.insert(1500, "inserted".into());
        new.remove(10);
        let ops = diff_lines(&old.join("\n"), &new.join("\n"));
        assert_eq!(diff_stats(&ops), (2, 2));
        let rebuilt: Vec<&str> = ops
            .iter()
            .filter_map(|o| match o {
                DiffOp::Same(s) | DiffOp::Added(s) => Some(s.as_str()),
                DiffOp::Removed(_) => None,
            })
            .collect();
        assert_eq!(rebuilt, new.iter().map(String::as_str).collect::<Vec<_>>());
    }

    #[test]
    fn excerpt_cuts_at_word_boundary() {
        assert_eq!(excerpt("Short text", 20), "Short text");
        assert_eq!(
            excerpt("The quick brown fox jumps", 12),
            "The quick\u{2026}"
        );
        assert_eq!(excerpt("Hello, world again", 8), "Hello\u{2026}");
        assert_eq!(excerpt("Supercalifragilistic", 6), "Super\u{2026}");
        assert_eq!(excerpt("a  b\n\nc", 10), "a b c");
        assert_eq!(excerpt("anything", 0), "");
        assert!(excerpt("The quick brown fox jumps", 12).chars().count() <= 12);
    }
}
