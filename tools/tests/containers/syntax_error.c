/* Test input for `femto build`: does not compile; clang's diagnostic must be
 * shown as clang prints it. */
int entry(void *ctx)
{
    return undeclared_variable;
}
