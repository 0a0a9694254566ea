/* guide-route's subcommands kept in files of their own (the program's, not
 * a library's).  argv[0] is the subcommand; each returns the exit status. */
#pragma once

/* `guide-route track`: guide-route-track.c */
int cmd_track(int argc, char **argv);
/* Its --help: every option, what it does and its default. */
extern const char cmd_track_usage[];

/* `guide-route gain`: guide-route-gain.c */
int cmd_gain(int argc, char **argv);
extern const char cmd_gain_usage[];
