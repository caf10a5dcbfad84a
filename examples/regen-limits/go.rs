//! The Go side: a lexer for the part of Go that `vpc_ip_resource_limit.go` uses and a parser
//! of its map literal `instanceNetworkingLimits`.

use std::collections::BTreeSet;
use std::fmt;

/// Name of the map variable in the Go file.
const MAP_NAME: &str = "instanceNetworkingLimits";

/// An input the program does not understand, at a line of the Go file (1-based).
#[derive(Debug, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

fn err<T>(line: usize, message: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError {
        line,
        message: message.into(),
    })
}

/// One Go token.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok {
    Ident(String),
    Int(u64),
    Str(String),
    Punct(char),
    Eof,
}

impl fmt::Display for Tok {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tok::Ident(s) => write!(f, "`{s}`"),
            Tok::Int(n) => write!(f, "`{n}`"),
            Tok::Str(s) => write!(f, "string {s:?}"),
            Tok::Punct(c) => write!(f, "`{c}`"),
            Tok::Eof => write!(f, "end of file"),
        }
    }
}

/// A lexer for the part of Go the file uses: identifiers, decimal integers, interpreted and
/// raw strings, comments and one-character punctuation.
struct Lexer<'a> {
    rest: &'a str,
    line: usize,
    peeked: Option<(Tok, usize)>,
}

impl<'a> Lexer<'a> {
    fn new(text: &'a str) -> Self {
        Lexer {
            rest: text,
            line: 1,
            peeked: None,
        }
    }

    fn bump(&mut self, n: usize) -> &'a str {
        let (taken, rest) = self.rest.split_at(n);
        self.line += taken.matches('\n').count();
        self.rest = rest;
        taken
    }

    /// The next token and its line.
    fn next(&mut self) -> Result<(Tok, usize), ParseError> {
        if let Some(t) = self.peeked.take() {
            return Ok(t);
        }
        loop {
            let trimmed = self.rest.trim_start();
            self.bump(self.rest.len() - trimmed.len());
            if self.rest.starts_with("//") {
                let end = self.rest.find('\n').unwrap_or(self.rest.len());
                self.bump(end);
            } else if self.rest.starts_with("/*") {
                let line = self.line;
                match self.rest[2..].find("*/") {
                    Some(end) => {
                        self.bump(end + 4);
                    }
                    None => return err(line, "unterminated /* comment"),
                }
            } else {
                break;
            }
        }
        let line = self.line;
        let Some(c) = self.rest.chars().next() else {
            return Ok((Tok::Eof, line));
        };
        let tok = if c.is_ascii_alphabetic() || c == '_' {
            let n = self
                .rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(self.rest.len());
            Tok::Ident(self.bump(n).to_string())
        } else if c.is_ascii_digit() {
            let n = self
                .rest
                .find(|c: char| !c.is_ascii_alphanumeric() && c != '_' && c != '.')
                .unwrap_or(self.rest.len());
            let digits = self.bump(n);
            match digits.parse::<u64>() {
                Ok(v) if !digits.starts_with('0') || digits == "0" => Tok::Int(v),
                _ => return err(line, format!("unsupported number `{digits}`")),
            }
        } else if c == '"' {
            self.string(line)?
        } else if c == '`' {
            match self.rest[1..].find('`') {
                Some(end) => {
                    let s = self.bump(end + 2);
                    Tok::Str(s[1..s.len() - 1].to_string())
                }
                None => return err(line, "unterminated raw string"),
            }
        } else {
            self.bump(c.len_utf8());
            Tok::Punct(c)
        };
        Ok((tok, line))
    }

    /// An interpreted string literal; only the escapes `\"` and `\\` are understood.
    fn string(&mut self, line: usize) -> Result<Tok, ParseError> {
        let mut out = String::new();
        let mut chars = self.rest.char_indices().skip(1);
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.bump(i + 1);
                    return Ok(Tok::Str(out));
                }
                '\n' => break,
                '\\' => match chars.next() {
                    Some((_, e @ ('"' | '\\'))) => out.push(e),
                    _ => return err(line, "unsupported escape in a string"),
                },
                c => out.push(c),
            }
        }
        err(line, "unterminated string")
    }

    fn peek(&mut self) -> Result<&Tok, ParseError> {
        if self.peeked.is_none() {
            self.peeked = Some(self.next()?);
        }
        Ok(&self.peeked.as_ref().expect("just set").0)
    }

    /// Takes the next token, which must be `want`.
    fn expect(&mut self, want: Tok) -> Result<usize, ParseError> {
        let (tok, line) = self.next()?;
        if tok == want {
            Ok(line)
        } else {
            err(line, format!("expected {want}, found {tok}"))
        }
    }

    /// Takes the next token if it is `want`.
    fn eat(&mut self, want: &Tok) -> Result<bool, ParseError> {
        if self.peek()? == want {
            self.next()?;
            Ok(true)
        } else {
            Ok(false)
        }
    }
}

/// One map entry: an instance type's networking limits.
#[derive(Debug, PartialEq, Eq)]
pub struct Limits {
    pub name: String,
    /// Line of the entry's key.
    pub line: usize,
    /// `ENILimit` (ENIs).
    pub eni_limit: u32,
    /// `IPv4Limit` (addresses per ENI).
    pub ipv4_limit: u32,
    /// `DefaultNetworkCardIndex`.
    pub default_card: u32,
    /// `MaximumNetworkInterfaces` (ENIs) of each card, by `NetworkCardIndex` (0, 1, …).
    pub cards: Vec<u32>,
    /// `HypervisorType`.
    pub hypervisor: String,
    /// `IsBareMetal`.
    pub bare_metal: bool,
}

fn int(lx: &mut Lexer) -> Result<u32, ParseError> {
    match lx.next()? {
        (Tok::Int(n), line) => u32::try_from(n).or_else(|_| err(line, format!("{n} is too big"))),
        (tok, line) => err(line, format!("expected an integer, found {tok}")),
    }
}

/// `{ Field: value, ... }` after its opening brace: calls `field` for each name, then
/// takes the closing brace. Go needs a comma before a line break; the last one is optional.
fn fields(
    lx: &mut Lexer,
    mut field: impl FnMut(&mut Lexer, &str, usize) -> Result<(), ParseError>,
) -> Result<(), ParseError> {
    let mut seen = BTreeSet::new();
    loop {
        let (tok, line) = lx.next()?;
        let name = match tok {
            Tok::Punct('}') => return Ok(()),
            Tok::Ident(name) => name,
            tok => return err(line, format!("expected a field name or `}}`, found {tok}")),
        };
        if !seen.insert(name.clone()) {
            return err(line, format!("field {name} given twice"));
        }
        lx.expect(Tok::Punct(':'))?;
        field(lx, &name, line)?;
        if !lx.eat(&Tok::Punct(','))? {
            lx.expect(Tok::Punct('}'))?;
            return Ok(());
        }
    }
}

/// `[]NetworkCard{ {MaximumNetworkInterfaces: N, NetworkCardIndex: N}, ... }`: the cards'
/// maximum ENIs in card-index order.
fn cards(lx: &mut Lexer) -> Result<Vec<u32>, ParseError> {
    let start = lx.expect(Tok::Punct('['))?;
    lx.expect(Tok::Punct(']'))?;
    lx.expect(Tok::Ident("NetworkCard".into()))?;
    lx.expect(Tok::Punct('{'))?;
    let mut cards: Vec<(u32, u32, usize)> = Vec::new(); // (index, max ENIs, line)
    loop {
        if lx.eat(&Tok::Punct('}'))? {
            break;
        }
        lx.eat(&Tok::Ident("NetworkCard".into()))?;
        let line = lx.expect(Tok::Punct('{'))?;
        let (mut max, mut index) = (None, None);
        fields(lx, |lx, name, line| {
            match name {
                "MaximumNetworkInterfaces" => max = Some(int(lx)?),
                "NetworkCardIndex" => index = Some(int(lx)?),
                _ => return err(line, format!("unknown NetworkCard field {name}")),
            }
            Ok(())
        })?;
        match (index, max) {
            (Some(i), Some(m)) => cards.push((i, m, line)),
            _ => {
                return err(
                    line,
                    "a network card needs MaximumNetworkInterfaces and NetworkCardIndex",
                )
            }
        }
        if !lx.eat(&Tok::Punct(','))? {
            lx.expect(Tok::Punct('}'))?;
            break;
        }
    }
    cards.sort_by_key(|c| c.0);
    for (want, &(index, _, line)) in cards.iter().enumerate() {
        if index as usize != want {
            return err(line, format!("network card indices are not 0, 1, 2, …: card {index} where {want} was expected"));
        }
    }
    if cards.is_empty() {
        return err(start, "no network cards");
    }
    Ok(cards.into_iter().map(|c| c.1).collect())
}

/// One entry's value, after `"name":`.
fn entry(lx: &mut Lexer, name: String, line: usize) -> Result<Limits, ParseError> {
    lx.eat(&Tok::Ident("InstanceTypeLimits".into()))?;
    lx.expect(Tok::Punct('{'))?;
    let (mut eni, mut ipv4, mut default, mut cards_, mut hyp, mut metal) =
        (None, None, None, None, None, None);
    fields(lx, |lx, field, fline| {
        match field {
            "ENILimit" => eni = Some(int(lx)?),
            "IPv4Limit" => ipv4 = Some(int(lx)?),
            "DefaultNetworkCardIndex" => default = Some(int(lx)?),
            "NetworkCards" => cards_ = Some(cards(lx)?),
            "HypervisorType" => match lx.next()? {
                (Tok::Str(s), _) if !s.is_empty() && !s.contains([',', '"', ';', '\n', '\r']) => {
                    hyp = Some(s)
                }
                (tok, l) => return err(l, format!("expected a hypervisor name, found {tok}")),
            },
            "IsBareMetal" => match lx.next()? {
                (Tok::Ident(b), _) if b == "true" || b == "false" => metal = Some(b == "true"),
                (tok, l) => return err(l, format!("expected true or false, found {tok}")),
            },
            _ => return err(fline, format!("unknown field {field}")),
        }
        Ok(())
    })?;
    let missing = |what: &str| ParseError {
        line,
        message: format!("{name}: no {what}"),
    };
    let limits = Limits {
        eni_limit: eni.ok_or_else(|| missing("ENILimit"))?,
        ipv4_limit: ipv4.ok_or_else(|| missing("IPv4Limit"))?,
        default_card: default.ok_or_else(|| missing("DefaultNetworkCardIndex"))?,
        cards: cards_.ok_or_else(|| missing("NetworkCards"))?,
        hypervisor: hyp.ok_or_else(|| missing("HypervisorType"))?,
        bare_metal: metal.ok_or_else(|| missing("IsBareMetal"))?,
        name,
        line,
    };
    // Upstream's generator: ENILimit is the default card's MaximumNetworkInterfaces.
    match limits.cards.get(limits.default_card as usize) {
        None => err(
            line,
            format!("{}: no card {}", limits.name, limits.default_card),
        ),
        Some(&m) if m != limits.eni_limit => err(
            line,
            format!(
                "{}: ENILimit {} is not the default card's MaximumNetworkInterfaces {m}",
                limits.name, limits.eni_limit
            ),
        ),
        Some(_) if limits.ipv4_limit == 0 => err(line, format!("{}: IPv4Limit 0", limits.name)),
        Some(_) => Ok(limits),
    }
}

/// Every entry of the map `instanceNetworkingLimits`, sorted by name in byte order. Text
/// before the map's declaration and after its closing brace is not read.
pub fn parse(text: &str) -> Result<Vec<Limits>, ParseError> {
    let mut lx = Lexer::new(text);
    loop {
        match lx.next()? {
            (Tok::Ident(id), _) if id == MAP_NAME => break,
            (Tok::Eof, line) => return err(line, format!("no map {MAP_NAME}")),
            _ => {}
        }
    }
    lx.expect(Tok::Punct('='))?;
    for want in [
        Tok::Ident("map".into()),
        Tok::Punct('['),
        Tok::Ident("string".into()),
        Tok::Punct(']'),
        Tok::Ident("InstanceTypeLimits".into()),
        Tok::Punct('{'),
    ] {
        lx.expect(want)?;
    }
    let mut out: Vec<Limits> = Vec::new();
    loop {
        let (name, line) = match lx.next()? {
            (Tok::Punct('}'), _) => break,
            (Tok::Str(name), line)
                if !name.is_empty() && !name.contains([',', '"', '\n', '\r']) =>
            {
                (name, line)
            }
            (tok, line) => {
                return err(
                    line,
                    format!("expected an instance type or `}}`, found {tok}"),
                )
            }
        };
        lx.expect(Tok::Punct(':'))?;
        out.push(entry(&mut lx, name, line)?);
        if !lx.eat(&Tok::Punct(','))? {
            lx.expect(Tok::Punct('}'))?;
            break;
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    for w in out.windows(2) {
        if w[0].name == w[1].name {
            return err(
                w[1].line,
                format!("{} listed twice (first at line {})", w[1].name, w[0].line),
            );
        }
    }
    if out.is_empty() {
        return err(lx.line, format!("map {MAP_NAME} is empty"));
    }
    Ok(out)
}
