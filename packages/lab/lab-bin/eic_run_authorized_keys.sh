#!/bin/sh
# stns-fleet lab stand-in for EC2 Instance Connect's key command (the ec2-instance-connect package's
# eic_run_authorized_keys USER FINGERPRINT). The real one prints the keys pushed with SendSSHPublicKey in the
# last 60 seconds, from the instance metadata; nobody pushes keys in the lab, so it prints none and exits 0,
# as the real one does for a user without a pushed key. The lab seeds it at the path the host's sshd
# configuration names (AL2 and the AL2023 standard AMI: /opt/aws/bin; Ubuntu: /usr/share/ec2-instance-connect),
# where stns-fleet's chain wrapper (/usr/lib/stns-fleet/stns-fleet-keys) execs it after the STNS keys.
[ "$#" -ge 1 ] || { echo "Usage: $0 <username> [<fingerprint>]" >&2; exit 1; }
exit 0
