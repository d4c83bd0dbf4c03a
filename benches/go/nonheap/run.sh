#!/bin/sh
# The configurations of results/nonheap.txt: GOGC=100 beside live heaps of 0 to 256 MiB, and
# the memory-limited runs the differential tests use (8 MiB under 16 MiB, 64 and 100 MiB
# under 128 MiB, GOGC=off).
set -e
go build -o nonheap .
go version
echo "# env  tag L_MiB G_MiB heap_mapped heap_address_space nonheap goal cycles"
for l in 0 8 32 64 128 256; do GOGC=100 ./nonheap -live $l -garbage 512 | sed "s/^/GOGC=100 /"; done
GOGC=off GOMEMLIMIT=16MiB ./nonheap -live 8 -garbage 256 | sed "s/^/limit=16MiB /"
GOGC=off GOMEMLIMIT=128MiB ./nonheap -live 64 -garbage 2048 | sed "s/^/limit=128MiB /"
GOGC=off GOMEMLIMIT=128MiB ./nonheap -live 100 -garbage 1024 | sed "s/^/limit=128MiB /"
rm -f nonheap
