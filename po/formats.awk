# Turns po/rdiag.pot into C: the table of c-format msgids that
# agent/core/i18n.c matches formatted English text against. A msgid's
# quoted lines are C string literals already; xgettext's "%<PRIu64>" is
# spelled back as the <inttypes.h> macro.
BEGIN {
	print "/* Generated from po/rdiag.pot by po/formats.awk. */"
	print "#include <inttypes.h>"
	print "#include <stddef.h>"
	print ""
	print "#include \"core/i18n.h\""
	print ""
	print "const char *const i18n_formats[] = {"
}
function flush() {
	if (cfmt && id != "" && id != "\"\"" && !plural) {
		gsub(/<PRI[a-zA-Z0-9]+>/, "\" & \"", id)
		gsub(/" <PRI/, "\" PRI", id)
		gsub(/> "/, " \"", id)
		print "\t" id ","
	}
	cfmt = 0; id = ""; plural = 0; inid = 0
}
/^#,/ { if (inid || id != "") flush(); if ($0 ~ /(^#,|[ ,])c-format/) cfmt = 1; next }
/^msgid_plural/ { plural = 1; inid = 0; next }
/^msgid / { sub(/^msgid /, ""); id = $0; inid = 1; next }
/^"/ { if (inid) id = id " " $0; next }
/^msgstr/ { inid = 0; next }
/^$/ { flush(); next }
END {
	flush()
	print "\tNULL,"
	print "};"
}
