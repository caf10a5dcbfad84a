//! Unit tests of the generator on an invented snippet in the Go file's format.

use super::go::ParseError;
use super::*;

/// Invented types in the Go file's format: out of order, one with three cards listed out
/// of index order, a comment and a trailing function after the map.
const SNIPPET: &str = r#"package vpc

// a comment with "quotes" and { braces }
var instanceNetworkingLimits = map[string]InstanceTypeLimits{
	"zz9.huge": {
		ENILimit:                6,
		IPv4Limit:               20,
		DefaultNetworkCardIndex: 0,
		NetworkCards: []NetworkCard{
			{
				MaximumNetworkInterfaces: 6,
				NetworkCardIndex:         0,
			},
			{
				MaximumNetworkInterfaces: 4,
				NetworkCardIndex:         2,
			},
			{
				MaximumNetworkInterfaces: 5,
				NetworkCardIndex:         1,
			},
		},
		HypervisorType: "nitro",
		IsBareMetal:    false,
	},
	"qq1.tiny": {
		ENILimit:                2,
		IPv4Limit:               3,
		DefaultNetworkCardIndex: 0,
		NetworkCards: []NetworkCard{
			{
				MaximumNetworkInterfaces: 2,
				NetworkCardIndex:         0,
			},
		},
		HypervisorType: "xen", /* block comment */
		IsBareMetal:    false,
	},
	"qq1.metal": {
		ENILimit:                7,
		IPv4Limit:               50,
		DefaultNetworkCardIndex: 0,
		NetworkCards: []NetworkCard{
			{
				MaximumNetworkInterfaces: 7,
				NetworkCardIndex:         0,
			},
		},
		HypervisorType: "unknown",
		IsBareMetal:    true,
	},
}

func other() map[string]int { return nil }
"#;

#[test]
fn writes_sorted_rows_with_cards_in_index_order() {
    let limits = parse(SNIPPET).unwrap();
    let csv = String::from_utf8(to_csv(&limits).unwrap()).unwrap();
    // Byte order: "qq1.metal" < "qq1.tiny" < "zz9.huge"; zz9.huge's cards by index
    // 0, 1, 2 are 6, 5, 4 (listed as 0, 2, 1).
    assert_eq!(
        csv,
        "instance_type,max_enis,ipv4_per_eni,hypervisor,bare_metal,network_cards,\
         default_network_card,network_card_max_enis\n\
         qq1.metal,7,50,unknown,true,1,0,7\n\
         qq1.tiny,2,3,xen,false,1,0,2\n\
         zz9.huge,6,20,nitro,false,3,0,6;5;4\n"
    );
    // The key line of each entry (line 5 is "zz9.huge", 26 "qq1.tiny", 39 "qq1.metal").
    let lines: Vec<(&str, usize)> = limits.iter().map(|l| (l.name.as_str(), l.line)).collect();
    assert_eq!(
        lines,
        [("qq1.metal", 39), ("qq1.tiny", 26), ("zz9.huge", 5)]
    );
}

/// The error for `SNIPPET` with `from` replaced by `to` (once).
fn error_with(from: &str, to: &str) -> ParseError {
    assert!(SNIPPET.contains(from), "{from}");
    parse(&SNIPPET.replacen(from, to, 1)).unwrap_err()
}

#[test]
fn rejects_what_it_does_not_understand_with_the_line() {
    // Line 6 is zz9.huge's ENILimit.
    let e = error_with("ENILimit:                6", "EniLimit:                6");
    assert_eq!((e.line, e.message.as_str()), (6, "unknown field EniLimit"));
    // ENILimit 5 is not card 0's 6 (line 5: the entry's key).
    let e = error_with("ENILimit:                6", "ENILimit:                5");
    assert_eq!(e.line, 5);
    assert!(
        e.message.contains("not the default card's"),
        "{}",
        e.message
    );
    // A card index gap: 0, 3, 1 (line 14 opens the card with index 3).
    let e = error_with("NetworkCardIndex:         2", "NetworkCardIndex:         3");
    assert_eq!(e.line, 14);
    // A missing field names the entry's line (26: qq1.tiny).
    let e = error_with("\t\tIPv4Limit:               3,\n", "");
    assert_eq!((e.line, e.message.as_str()), (26, "qq1.tiny: no IPv4Limit"));
    // A duplicate type names the second one's line.
    let e = error_with("\"qq1.metal\"", "\"qq1.tiny\"");
    assert_eq!(e.line, 39);
    assert!(e.message.contains("listed twice"), "{}", e.message);
    // A value of the wrong kind (line 37 is qq1.tiny's IsBareMetal).
    let e = error_with(
        "IsBareMetal:    false,\n\t},\n\t\"qq1.metal",
        "IsBareMetal: 0,\n\t},\n\t\"qq1.metal",
    );
    assert_eq!(e.line, 37);
    // A number too big for u32, a hex number, an unterminated string.
    assert_eq!(
        error_with("IPv4Limit:               20", "IPv4Limit: 4294967296").line,
        7
    );
    assert_eq!(
        error_with("IPv4Limit:               20", "IPv4Limit: 0x14").line,
        7
    );
    assert_eq!(error_with("\"nitro\"", "\"nitro").line, 23);
    // No map at all.
    assert!(parse("package vpc\n")
        .unwrap_err()
        .message
        .contains("no map"));
    // A row that would need CSV quoting.
    assert_eq!(error_with("\"xen\"", "\"x,en\"").line, 36);
}

#[test]
fn reports_new_and_dropped_types() {
    let limits = parse(SNIPPET).unwrap();
    let known = names_in("instance_type,vcpus,vcpus_source\nqq1.tiny,1,x\naa1.gone,2,y\n").unwrap();
    let (new, dropped) = new_and_dropped(&limits, &known);
    assert_eq!(new, ["qq1.metal", "zz9.huge"]);
    assert_eq!(dropped, ["aa1.gone"]);
}
