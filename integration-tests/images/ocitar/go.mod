module spinneret.invalid/integration-tests/images/ocitar

go 1.26.0
