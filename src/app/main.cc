#include "app/cli.h"

int main(int argc, char** argv) { return bitten::app::RunCli(argc, argv); }
