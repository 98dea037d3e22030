# The whole test suite: cvetrail's module, then the end-to-end module that
# drives the real Trivy and Grype (its tests skip when neither is built;
# .ci/install-scanners builds them).
.PHONY: test
test:
	go test ./...
	cd e2e && go test ./...
