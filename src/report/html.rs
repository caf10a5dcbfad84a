//! The HTML page: one self-contained UTF-8 document, inline CSS and SVG, no scripts, no
//! external resources. Every element is closed (void elements as `<x/>`), so the page is
//! also well-formed XML.

/// One chart or table with its heading and a one-line description.
pub struct Section {
    /// `<h2>` text (escaped when rendered).
    pub heading: String,
    /// What the chart shows, units included (escaped when rendered).
    pub description: String,
    /// Trusted markup: an SVG from plotters or a table built by [`table`].
    pub body: String,
}

/// The whole page.
pub struct Page {
    /// Title and `<h1>`.
    pub title: String,
    /// Paragraphs under the title (plain text, escaped when rendered).
    pub intro: Vec<String>,
    /// Sections in order.
    pub sections: Vec<Section>,
}

const STYLE: &str = "body{font-family:sans-serif;max-width:940px;margin:1em auto;padding:0 1em;\
color:#222;line-height:1.4}\
h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.15em;margin:1.6em 0 .2em}\
p{margin:.3em 0}.desc{color:#555;font-size:.92em}\
svg{display:block;max-width:100%;height:auto;border:1px solid #e4e4e4;margin-top:.4em}\
table{border-collapse:collapse;font-size:.85em;margin-top:.5em;display:block;overflow-x:auto}\
th,td{border:1px solid #ddd;padding:.25em .5em;white-space:nowrap}\
th{background:#f3f3f3;text-align:left}td.num{text-align:right;font-variant-numeric:tabular-nums}\
tr.pareto td{background:#fdecea;font-weight:bold}";

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

/// An HTML table: a `#` column (1-based row number) then the given columns; rows flagged in
/// `highlight` get the `pareto` class; cells that parse as numbers are right-aligned.
pub fn table(header: &[String], rows: &[Vec<String>], highlight: &[bool]) -> String {
    let mut t = String::from("<table>\n<thead><tr><th>#</th>");
    for h in header {
        t.push_str(&format!("<th>{}</th>", escape(h)));
    }
    t.push_str("</tr></thead>\n<tbody>\n");
    for (i, row) in rows.iter().enumerate() {
        let class = if highlight.get(i).copied().unwrap_or(false) {
            " class=\"pareto\""
        } else {
            ""
        };
        t.push_str(&format!("<tr{class}><td class=\"num\">{}</td>", i + 1));
        for cell in row {
            let num = if cell.parse::<f64>().is_ok() {
                " class=\"num\""
            } else {
                ""
            };
            t.push_str(&format!("<td{num}>{}</td>", escape(cell)));
        }
        t.push_str("</tr>\n");
    }
    t.push_str("</tbody>\n</table>\n");
    t
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
        for s in &self.sections {
            h.push_str(&format!(
                "<section>\n<h2>{}</h2>\n<p class=\"desc\">{}</p>\n{}</section>\n",
                escape(&s.heading),
                escape(&s.description),
                s.body
            ));
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
    fn table_numbers_and_highlight() {
        let t = table(
            &["setting".into(), "x".into()],
            &[vec!["A=1".into(), "2.5".into()]],
            &[true],
        );
        assert!(t.contains("<tr class=\"pareto\"><td class=\"num\">1</td><td>A=1</td><td class=\"num\">2.5</td></tr>"));
    }
}
