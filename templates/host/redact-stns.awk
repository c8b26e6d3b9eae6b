# stns-fleet: /etc/stns/client/stns.conf with every value that may be a secret hidden, for the facts
# (SSM keeps command output) and the host script's compare-and-swap. An allowlist, not a blocklist: only
# blank lines, [table] headers, the comments of stns-fleet's own template (SF_KEEP_COMMENTS, one per line)
# and the values of known non-secret keys are kept; every other value becomes "(sensitive)" and every other
# line "(sensitive)". src/render/redact-stns-conf.ts is the same function for the controller.
BEGIN {
	n = split(ENVIRON["SF_KEEP_COMMENTS"], kc, "\n")
	for (i = 1; i <= n; i++) keep[kc[i]] = 1
	n = split("api_endpoint request_timeout request_retry request_locktime http_proxy http_location ssl_verify cache cache_dir cache_ttl negative_cache_ttl uid_shift gid_shift user query_wrapper chain_ssh_wrapper use_cached http_keepalive", k, " ")
	for (i = 1; i <= n; i++) show["|" k[i]] = 1
	show["tls|ca"] = 1; show["tls|cert"] = 1; show["tls|key"] = 1
	show["cached|enable"] = 1; show["cached|prefetch"] = 1; show["cached|unix_socket"] = 1
	section = ""
}
/^[ \t]*$/ { print; next }
/^[ \t]*#/ { if ($0 in keep) print; else print "# (sensitive)"; next }
/^[ \t]*\[[ \t]*[A-Za-z0-9_-]+[ \t]*\][ \t]*$/ {
	section = $0
	gsub(/[][ \t]/, "", section)
	print
	next
}
/^[ \t]*\[/ { section = "?"; print "(sensitive)"; next }
/^[ \t]*([A-Za-z0-9_.-]+|"[^"]*"|'[^']*')[ \t]*=/ {
	eq = index($0, "=")
	if (match($0, /^[ \t]*("[^"]*"|'[^']*')/)) eq = index(substr($0, RLENGTH + 1), "=") + RLENGTH
	lhs = substr($0, 1, eq - 1)
	value = substr($0, eq + 1)
	key = lhs
	gsub(/^[ \t]+|[ \t]+$/, "", key)
	sub(/^[ \t]+/, "", value)
	if (((section "|" key) in show) && index(value, "@") == 0 && value ~ /^("[^"\\]*"|'[^']*'|[A-Za-z0-9_.+:-]+)[ \t]*$/) print
	else {
		indent = lhs
		sub(/[^ \t].*$/, "", indent)
		print indent key " = \"(sensitive)\""
	}
	next
}
{ print "(sensitive)" }
