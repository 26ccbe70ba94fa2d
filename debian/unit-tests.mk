# unit-tests.mk - "make -f Makefile -f unit-tests.mk unit-check": build and
# run only the unit tests of Makefile's check_PROGRAMS (t/unit/*.test),
# not the end-to-end scripts that "make check" runs after them.  Read
# after the build tree's Makefile, whose variables it uses.
UNIT_TESTS = $(filter %.test,$(check_PROGRAMS))

unit-check: $(UNIT_TESTS)
	prove --exec '' $(UNIT_TESTS)
