//! The HTML page: one self-contained UTF-8 document, inline CSS and SVG, no scripts, no
//! external resources. Every element is closed (void elements as `<x/>`), so the page is
//! also well-formed XML.

/// One part of the page.
pub enum Block {
    /// A chart or table with its heading and a one-line description.
    Section(Section),
    /// A part left out, with why (`<p class="note">`).
    Note(String),
    /// A sub-heading starting a group of sections (`<h2>`).
    Heading(String),
    /// A paragraph of plain text.
    Para(String),
}

/// One chart or table with its heading and a one-line description.
pub struct Section {
    /// `<h3>` text (escaped when rendered).
    pub heading: String,
    /// What the chart shows, units included (escaped when rendered).
    pub description: String,
    /// Trusted markup: SVGs from plotters and tables built by [`Table::render`].
    pub body: String,
}

/// The whole page.
pub struct Page {
    /// Title and `<h1>`.
    pub title: String,
    /// Paragraphs under the title (plain text, escaped when rendered).
    pub intro: Vec<String>,
    /// `(name, value)` pairs shown as a compact list under the intro (the CNI settings).
    pub settings: Vec<(String, String)>,
    /// The parts in order.
    pub blocks: Vec<Block>,
}

const STYLE: &str = "body{font-family:sans-serif;max-width:940px;margin:1em auto;padding:0 1em;\
color:#222;line-height:1.4}\
h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.3em;margin:1.8em 0 .2em;\
border-bottom:1px solid #ddd}h3{font-size:1.1em;margin:1.4em 0 .2em}\
p{margin:.3em 0}.desc{color:#555;font-size:.92em}.note{color:#8a5a00;font-size:.92em}\
ul.settings{list-style:none;padding:0;margin:.5em 0;display:flex;flex-wrap:wrap;gap:.3em .6em;\
font-size:.85em}ul.settings li{background:#f3f3f3;border-radius:3px;padding:.1em .45em}\
svg{display:block;max-width:100%;height:auto;border:1px solid #e4e4e4;margin-top:.4em}\
div.scroll{overflow-x:auto;max-width:100%;margin-top:.5em}\
table{border-collapse:collapse;font-size:.85em}\
th,td{border:1px solid #ddd;padding:.25em .5em}th{background:#f3f3f3;text-align:left}\
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\
tr.pareto td{background:#fdecea;font-weight:bold}tr.total td{font-weight:bold}\
tr.recommended td{outline:2px solid #2a7}\
code{font-size:.92em;white-space:nowrap}\
details.full{margin-top:.3em}details.full summary{cursor:pointer;color:#555;font-size:.9em}";

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A table cell.
pub enum Cell {
    /// Text, left-aligned.
    Text(String),
    /// A figure, right-aligned.
    Num(String),
    /// A command, in `<code>`.
    Code(String),
}

/// A table: header cells and rows, each row with an optional CSS class.
#[derive(Default)]
pub struct Table {
    /// Header cells.
    pub header: Vec<String>,
    /// `(class, cells)` per row.
    pub rows: Vec<(Option<&'static str>, Vec<Cell>)>,
}

impl Table {
    /// A table with these column titles.
    pub fn new(header: &[&str]) -> Table {
        Table {
            header: header.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// The table inside a horizontally scrolling container, so it never widens the page.
    pub fn render(&self) -> String {
        let mut t = String::from("<div class=\"scroll\"><table>\n<thead><tr>");
        for h in &self.header {
            t.push_str(&format!("<th>{}</th>", escape(h)));
        }
        t.push_str("</tr></thead>\n<tbody>\n");
        for (class, cells) in &self.rows {
            match class {
                Some(c) => t.push_str(&format!("<tr class=\"{c}\">")),
                None => t.push_str("<tr>"),
            }
            for cell in cells {
                match cell {
                    Cell::Text(s) => t.push_str(&format!("<td>{}</td>", escape(s))),
                    Cell::Num(s) => t.push_str(&format!("<td class=\"num\">{}</td>", escape(s))),
                    Cell::Code(s) => t.push_str(&format!("<td><code>{}</code></td>", escape(s))),
                }
            }
            t.push_str("</tr>\n");
        }
        t.push_str("</tbody>\n</table></div>\n");
        t
    }
}

impl Page {
    /// Renders the document.
    pub fn render(&self) -> String {
        let title = escape(&self.title);
        let mut h = format!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n\
<title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{title}</h1>\n"
        );
        for p in &self.intro {
            h.push_str(&format!("<p>{}</p>\n", escape(p)));
        }
        if !self.settings.is_empty() {
            h.push_str("<ul class=\"settings\">");
            for (k, v) in &self.settings {
                h.push_str(&format!("<li><b>{}</b> {}</li>", escape(k), escape(v)));
            }
            h.push_str("</ul>\n");
        }
        for b in &self.blocks {
            match b {
                Block::Heading(t) => h.push_str(&format!("<h2>{}</h2>\n", escape(t))),
                Block::Note(t) => h.push_str(&format!("<p class=\"note\">{}</p>\n", escape(t))),
                Block::Para(t) => h.push_str(&format!("<p>{}</p>\n", escape(t))),
                Block::Section(s) => h.push_str(&format!(
                    "<section>\n<h3>{}</h3>\n<p class=\"desc\">{}</p>\n{}</section>\n",
                    escape(&s.heading),
                    escape(&s.description),
                    s.body
                )),
            }
        }
        h.push_str("</body>\n</html>\n");
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
    }

    #[test]
    fn table_classes_and_alignment() {
        let mut t = Table::new(&["setting", "x"]);
        t.rows.push((
            Some("pareto"),
            vec![Cell::Text("A=1".into()), Cell::Num("2.5".into())],
        ));
        assert!(t
            .render()
            .contains("<tr class=\"pareto\"><td>A=1</td><td class=\"num\">2.5</td></tr>"));
    }
}
