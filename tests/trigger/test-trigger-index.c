#include "tests/test.h"
int main(void) { TEST_EXIT(); }
