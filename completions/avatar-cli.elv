
use builtin;
use str;

set edit:completion:arg-completer[avatar-cli] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'avatar-cli'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'avatar-cli'= {
            cand -e 'Which platform to call [env: AVATAR_ENV] [default: the config''s env, else test]'
            cand --env 'Which platform to call [env: AVATAR_ENV] [default: the config''s env, else test]'
            cand --base-url 'scheme://host[:port][/prefix] of the platform; the 5.30 path is appended [env: AVATAR_BASE_URL]'
            cand --config 'TOML config file [env: AVATAR_CONFIG] [default: <config dir>/avatar-cli/config.toml]'
            cand -o 'Output format of results on stdout'
            cand --output 'Output format of results on stdout'
            cand --color 'When to colour output (NO_COLOR is honoured) [default: auto]'
            cand --policy-source 'Channel code the insurer assigned (head.policySource) [env: AVATAR_POLICY_SOURCE]'
            cand --channel 'Channel code the insurer assigned (head.policySource) [env: AVATAR_POLICY_SOURCE]'
            cand --timeout 'Seconds allowed per HTTP request, fractions allowed: from 0.001 to 3600 [default: 30]'
            cand --retries 'Extra attempts for a notice that got no usable answer, 0 to 10 [default: 3]'
            cand --cacert 'Extra trusted CA certificate (PEM) for a private test platform'
            cand -H 'Extra HTTP header, ''Name: value'' or ''Name: @FILE'' (value read from FILE); repeatable'
            cand --header 'Extra HTTP header, ''Name: value'' or ''Name: @FILE'' (value read from FILE); repeatable'
            cand --journal 'Journal of everything sent: a SQLite file, or a PostgreSQL database as postgres://USER@HOST:PORT/DATABASE [env: AVATAR_JOURNAL] [default: <state dir>/avatar-cli/journal.sqlite3]'
            cand --json 'Same as --output json (JSON Lines on stdout); the later of the two wins'
            cand -v 'Print request and response bodies on stderr (header values redacted)'
            cand --verbose 'Print request and response bodies on stderr (header values redacted)'
            cand -q 'Print nothing on stderr but errors'
            cand --quiet 'Print nothing on stderr but errors'
            cand --no-journal 'Send without a journal: no skipping, no resume (wins over --journal and AVATAR_JOURNAL)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand send 'Send a notice for one or more policies given on the command line'
            cand batch 'Send a notice for every row of a CSV, JSON Lines or workbook file'
            cand validate 'Check input offline: send nothing, write no journal'
            cand history 'Show what the journal recorded'
            cand sandbox 'Run a local Avatar simulator (loopback only) for rehearsals, demos and tests'
            cand doctor 'Check settings, the platform''s reachability, the clock and the journal; send nothing'
            cand config 'Write a commented config file, show every setting and where it came from, or say where the file is looked for'
            cand journal 'Look after the journal: what it holds, a copy while runs write, old bodies dropped, a desk''s history moved between SQLite and PostgreSQL'
            cand completions 'Print a completion script'
            cand man 'Print a manual page (roff), of avatar-cli or of one command, or install them all'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'avatar-cli;send'= {
            cand --policy 'Policy number; repeatable'
            cand --order-no 'The policy''s order number (only with a single --policy)'
            cand --amount 'secondRefundAmount, a decimal with at most two places'
            cand --refund-date 'secondRefundDate, in China Standard Time'
            cand --status 'secondRefundStatus'
            cand --installment 'installmentList item; repeatable'
            cand --interface-type 'head.interfaceType, if the platform contact says it is not recissionNotice'
            cand --policy-source 'Channel code the insurer assigned (head.policySource) [env: AVATAR_POLICY_SOURCE]'
            cand --channel 'Channel code the insurer assigned (head.policySource) [env: AVATAR_POLICY_SOURCE]'
            cand --timeout 'Seconds allowed per HTTP request, fractions allowed: from 0.001 to 3600 [default: 30]'
            cand --retries 'Extra attempts for a notice that got no usable answer, 0 to 10 [default: 3]'
            cand --cacert 'Extra trusted CA certificate (PEM) for a private test platform'
            cand -H 'Extra HTTP header, ''Name: value'' or ''Name: @FILE'' (value read from FILE); repeatable'
            cand --header 'Extra HTTP header, ''Name: value'' or ''Name: @FILE'' (value read from FILE); repeatable'
            cand --journal 'Journal of everything sent: a SQLite file, or a PostgreSQL database as postgres://USER@HOST:PORT/DATABASE [env: AVATAR_JOURNAL] [default: <state dir>/avatar-cli/journal.sqlite3]'
            cand -e 'Which platform to call [env: AVATAR_ENV] [default: the config''s env, else test]'
            cand --env 'Which platform to call [env: AVATAR_ENV] [default: the config''s env, else test]'
            cand --base-url 'scheme://host[:port][/prefix] of the platform; the 5.30 path is appended [env: AVATAR_BASE_URL]'
            cand --config 'TOML config file [env: AVATAR_CONFIG] [default: <config dir>/avatar-cli/config.toml]'
            cand -o 'Output format of results on stdout'
            cand --output 'Output format of results on stdout'
            cand --color 'When to colour output (NO_COLOR is honoured) [default: auto]'
            cand --generate-order-no 'Generate an order number where none is given or journaled'
            cand --dry-run 'Print the envelopes that would be sent; send nothing, write no journal'
            cand -y 'Do not ask for confirmation (production)'
            cand --yes 'Do not ask for confirmation (production)'
            cand --force 'Send again even if the journal records the notice as accepted (or rejected)'
            cand --retry-rejected 'Send again, unchanged, the notices the platform rejected before (without it they are skipped as "rejected earlier", and the run exits 1)'
            cand --no-journal 'Send without a journal: no skipping, no resume (wins over --journal and AVATAR_JOURNAL)'
            cand --json 'Same as --output json (JSON Lines on stdout); the later of the two wins'
            cand -v 'Print request and response bodies on stderr (header values redacted)'
            cand --verbose 'Print request and response bodies on stderr (header values redacted)'
            cand -q 'Print nothing on stderr but errors'
            cand --quiet 'Print nothing on stderr but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'avatar-cli;batch'= {
            cand --format 'Format of a text file [default: by extension: .jsonl/.ndjson are JSON Lines, else CSV; a workbook is recognised by its content]'
            cand --encoding 'Text encoding [default: UTF-8, or GB18030 when the file is not valid UTF-8]'
            cand --column 'Read the column HEADER as FIELD (policyNo, orderNo, secondRefundAmount, ...); repeatable'
            cand --delimiter 'CSV column separator: one character such as '';'', or tab [default: ,]'
            cand --sheet 'The workbook''s sheet to read [default: the first]'
            cand --ignore-column 'Do not warn about the column (or JSON key) NAME, which is no field (matched trimmed, ignoring case); repeatable, and added to the config''s ignore_columns'
            cand --concurrency 'Notices in flight at once, 1 to 1024 [default: 4]'
            cand --rate 'At most this many requests per second across all workers, 0.01 to 100000'
            cand --report 'Write one row per input row to FILE: CSV, a workbook if it ends in .xlsx, JSON Lines if in .jsonl'
            cand --report-headers 'The language of the report''s headers [default: the input''s: Chinese for a file whose columns are named in Chinese]'
            cand --rejects 'With --skip-invalid: the rows set aside, as the input had them, with a problem column (CSV, or a workbook if it ends in .xlsx)'
            cand --interface-type 'head.interfaceType, if the platform contact says it is not recissionNotice'
            cand --policy-source 'Channel code the insurer assigned (head.policySource) [env: AVATAR_POLICY_SOURCE]'
            cand --channel 'Channel code the insurer assigned (head.policySource) [env: AVATAR_POLICY_SOURCE]'
            cand --timeout 'Seconds allowed per HTTP request, fractions allowed: from 0.001 to 3600 [default: 30]'
            cand --retries 'Extra attempts for a notice that got no usable answer, 0 to 10 [default: 3]'
            cand --cacert 'Extra trusted CA certificate (PEM) for a private test platform'
            cand -H 'Extra HTTP header, ''Name: value'' or ''Name: @FILE'' (value read from FILE); repeatable'
            cand --header 'Extra HTTP header, ''Name: value'' or ''Name: @FILE'' (value read from FILE); repeatable'
            cand --journal 'Journal of everything sent: a SQLite file, or a PostgreSQL database as postgres://USER@HOST:PORT/DATABASE [env: AVATAR_JOURNAL] [default: <state dir>/avatar-cli/journal.sqlite3]'
            cand -e 'Which platform to call [env: AVATAR_ENV] [default: the config''s env, else test]'
            cand --env 'Which platform to call [env: AVATAR_ENV] [default: the config''s env, else test]'
            cand --base-url 'scheme://host[:port][/prefix] of the platform; the 5.30 path is appended [env: AVATAR_BASE_URL]'
            cand --config 'TOML config file [env: AVATAR_CONFIG] [default: <config dir>/avatar-cli/config.toml]'
            cand -o 'Output format of results on stdout'
            cand --output 'Output format of results on stdout'
            cand --color 'When to colour output (NO_COLOR is honoured) [default: auto]'
            cand --skip-invalid 'Send the valid rows and set the invalid ones aside in --rejects FILE (exit 1 at best); without it one invalid row stops the whole file'
            cand --fail-fast 'After the first rejected, failed or in-doubt notice, start nothing new'
            cand --generate-order-no 'Generate an order number where none is given or journaled'
            cand --dry-run 'Print the envelopes that would be sent; send nothing, write no journal'
            cand -y 'Do not ask for confirmation (production)'
            cand --yes 'Do not ask for confirmation (production)'
            cand --force 'Send again even if the journal records the notice as accepted (or rejected)'
            cand --retry-rejected 'Send again, unchanged, the notices the platform rejected before (without it they are skipped as "rejected earlier", and the run exits 1)'
            cand --no-journal 'Send without a journal: no skipping, no resume (wins over --journal and AVATAR_JOURNAL)'
            cand --json 'Same as --output json (JSON Lines on stdout); the later of the two wins'
            cand -v 'Print request and response bodies on stderr (header values redacted)'
            cand --verbose 'Print request and response bodies on stderr (header values redacted)'
            cand -q 'Print nothing on stderr but errors'
            cand --quiet 'Print nothing on stderr but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'avatar-cli;validate'= {
            cand --policy 'Policy number; repeatable'
            cand --order-no 'The policy''s order number (only with a single --policy)'
            cand --amount 'secondRefundAmount, a decimal with at most two places'
            cand --refund-date 'secondRefundDate, in China Standard Time'
            cand --status 'secondRefundStatus'
            cand --installment 'installmentList item; repeatable'
            cand --format 'Format of a text file [default: by extension: .jsonl/.ndjson are JSON Lines, else CSV; a workbook is recognised by its content]'
            cand --encoding 'Text encoding [default: UTF-8, or GB18030 when the file is not valid UTF-8]'
            cand --column 'Read the column HEADER as FIELD (policyNo, orderNo, secondRefundAmount, ...); repeatable'
            cand --delimiter 'CSV column separator: one character such as '';'', or tab [default: ,]'
            cand --sheet 'The workbook''s sheet to read [default: the first]'
            cand --ignore-column 'Do not warn about the column (or JSON key) NAME, which is no field (matched trimmed, ignoring case); repeatable, and added to the config''s ignore_columns'
            cand --fix 'Write a corrected copy to OUT (.csv or .xlsx), then check it: exit 0 when OUT has no errors left, 2 otherwise'
            cand -e 'Which platform to call [env: AVATAR_ENV] [default: the config''s env, else test]'
            cand --env 'Which platform to call [env: AVATAR_ENV] [default: the config''s env, else test]'
            cand --base-url 'scheme://host[:port][/prefix] of the platform; the 5.30 path is appended [env: AVATAR_BASE_URL]'
            cand --config 'TOML config file [env: AVATAR_CONFIG] [default: <config dir>/avatar-cli/config.toml]'
            cand -o 'Output format of results on stdout'
            cand --output 'Output format of results on stdout'
            cand --color 'When to colour output (NO_COLOR is honoured) [default: auto]'
            cand --generate-order-no 'Order numbers will be generated: a missing one is not an error'
            cand --json 'Same as --output json (JSON Lines on stdout); the later of the two wins'
            cand -v 'Print request and response bodies on stderr (header values redacted)'
            cand --verbose 'Print request and response bodies on stderr (header values redacted)'
            cand -q 'Print nothing on stderr but errors'
            cand --quiet 'Print nothing on stderr but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'avatar-cli;history'= {
            cand --run 'Only what one run did: an id from `history runs`, or last'
            cand --policy 'Only this policy'
            cand --policy-source 'Only this channel (head.policySource)'
            cand --channel 'Only this channel (head.policySource)'
            cand --environment 'Only this environment: a name from the config or a base URL. `--env` and `--base-url` (or AVATAR_ENV and AVATAR_BASE_URL) filter too; the config''s default env does not. Hidden: the old spelling, kept for scripts'
            cand --outcome 'Only notices whose latest state is this (accepted, rejected, failed, inDoubt, notSent)'
            cand --since 'From this date or time (yyyy-MM-dd, yyyy-MM-dd HH:mm:ss in China Standard Time, RFC 3339, or today, yesterday, 30m, 1h, 7d)'
            cand --until 'Up to this date or time (a bare date includes that whole day)'
            cand --limit 'At most this many rows, newest first; 0 for all [default: 50 on a terminal, else all]'
            cand --out 'Write the export to FILE instead of stdout: --output csv, jsonl or xlsx, else the one FILE''s extension names'
            cand --journal 'Journal of everything sent: a SQLite file, or a PostgreSQL database as postgres://USER@HOST:PORT/DATABASE [env: AVATAR_JOURNAL] [default: <state dir>/avatar-cli/journal.sqlite3]'
            cand -e 'Which platform to call [env: AVATAR_ENV] [default: the config''s env, else test]'
            cand --env 'Which platform to call [env: AVATAR_ENV] [default: the config''s env, else test]'
            cand --base-url 'scheme://host[:port][/prefix] of the platform; the 5.30 path is appended [env: AVATAR_BASE_URL]'
            cand --config 'TOML config file [env: AVATAR_CONFIG] [default: <config dir>/avatar-cli/config.toml]'
            cand -o 'Output format of results on stdout'
            cand --output 'Output format of results on stdout'
            cand --color 'When to colour output (NO_COLOR is honoured) [default: auto]'
            cand --attempts 'One row per attempt instead of one per notice'
            cand --wide 'On a terminal, every column whole, however wide the table (else it is fitted to the terminal''s width)'
            cand --json 'Same as --output json (JSON Lines on stdout); the later of the two wins'
            cand -v 'Print request and response bodies on stderr (header values redacted)'
            cand --verbose 'Print request and response bodies on stderr (header values redacted)'
            cand -q 'Print nothing on stderr but errors'
            cand --quiet 'Print nothing on stderr but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'avatar-cli;sandbox'= {
            cand --port 'Port on 127.0.0.1 [default: a free one]'
            cand --latency-ms 'Delay before every answer'
            cand --fail-rate 'Share of requests answered HTTP 503, 0.0 to 1.0'
            cand --reject 'Answer dealCode "0" for policy numbers matching this glob (* and ?); repeatable'
            cand --seed 'Seed for the random faults, so a rehearsal can be repeated'
            cand -e 'Which platform to call [env: AVATAR_ENV] [default: the config''s env, else test]'
            cand --env 'Which platform to call [env: AVATAR_ENV] [default: the config''s env, else test]'
            cand --base-url 'scheme://host[:port][/prefix] of the platform; the 5.30 path is appended [env: AVATAR_BASE_URL]'
            cand --config 'TOML config file [env: AVATAR_CONFIG] [default: <config dir>/avatar-cli/config.toml]'
            cand -o 'Output format of results on stdout'
            cand --output 'Output format of results on stdout'
            cand --color 'When to colour output (NO_COLOR is honoured) [default: auto]'
            cand --json 'Same as --output json (JSON Lines on stdout); the later of the two wins'
            cand -v 'Print request and response bodies on stderr (header values redacted)'
            cand --verbose 'Print request and response bodies on stderr (header values redacted)'
            cand -q 'Print nothing on stderr but errors'
            cand --quiet 'Print nothing on stderr but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'avatar-cli;doctor'= {
            cand --policy-source 'Channel code the insurer assigned (head.policySource) [env: AVATAR_POLICY_SOURCE]'
            cand --channel 'Channel code the insurer assigned (head.policySource) [env: AVATAR_POLICY_SOURCE]'
            cand --timeout 'Seconds allowed per HTTP request, fractions allowed: from 0.001 to 3600 [default: 30]'
            cand --retries 'Extra attempts for a notice that got no usable answer, 0 to 10 [default: 3]'
            cand --cacert 'Extra trusted CA certificate (PEM) for a private test platform'
            cand -H 'Extra HTTP header, ''Name: value'' or ''Name: @FILE'' (value read from FILE); repeatable'
            cand --header 'Extra HTTP header, ''Name: value'' or ''Name: @FILE'' (value read from FILE); repeatable'
            cand --journal 'Journal of everything sent: a SQLite file, or a PostgreSQL database as postgres://USER@HOST:PORT/DATABASE [env: AVATAR_JOURNAL] [default: <state dir>/avatar-cli/journal.sqlite3]'
            cand -e 'Which platform to call [env: AVATAR_ENV] [default: the config''s env, else test]'
            cand --env 'Which platform to call [env: AVATAR_ENV] [default: the config''s env, else test]'
            cand --base-url 'scheme://host[:port][/prefix] of the platform; the 5.30 path is appended [env: AVATAR_BASE_URL]'
            cand --config 'TOML config file [env: AVATAR_CONFIG] [default: <config dir>/avatar-cli/config.toml]'
            cand -o 'Output format of results on stdout'
            cand --output 'Output format of results on stdout'
            cand --color 'When to colour output (NO_COLOR is honoured) [default: auto]'
            cand --json 'Same as --output json (JSON Lines on stdout); the later of the two wins'
            cand -v 'Print request and response bodies on stderr (header values redacted)'
            cand --verbose 'Print request and response bodies on stderr (header values redacted)'
            cand -q 'Print nothing on stderr but errors'
            cand --quiet 'Print nothing on stderr but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'avatar-cli;config'= {
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand init 'Write a commented config file to fill in; an existing file is never overwritten'
            cand show 'Print every setting a run would use, with its value and where it came from'
            cand path 'Print where the config file is looked for, and whether it is there'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'avatar-cli;config;init'= {
            cand --path 'Write this file [default: where the config is looked for: --config, AVATAR_CONFIG, else <config dir>/avatar-cli/config.toml]'
            cand --policy-source 'The channel code the insurer assigned you, written in [default: left for you to fill in]'
            cand --channel 'The channel code the insurer assigned you, written in [default: left for you to fill in]'
            cand -e 'Which platform to call [env: AVATAR_ENV] [default: the config''s env, else test]'
            cand --env 'Which platform to call [env: AVATAR_ENV] [default: the config''s env, else test]'
            cand --base-url 'scheme://host[:port][/prefix] of the platform; the 5.30 path is appended [env: AVATAR_BASE_URL]'
            cand --config 'TOML config file [env: AVATAR_CONFIG] [default: <config dir>/avatar-cli/config.toml]'
            cand -o 'Output format of results on stdout'
            cand --output 'Output format of results on stdout'
            cand --color 'When to colour output (NO_COLOR is honoured) [default: auto]'
            cand --json 'Same as --output json (JSON Lines on stdout); the later of the two wins'
            cand -v 'Print request and response bodies on stderr (header values redacted)'
            cand --verbose 'Print request and response bodies on stderr (header values redacted)'
            cand -q 'Print nothing on stderr but errors'
            cand --quiet 'Print nothing on stderr but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'avatar-cli;config;show'= {
            cand --policy-source 'Channel code the insurer assigned (head.policySource) [env: AVATAR_POLICY_SOURCE]'
            cand --channel 'Channel code the insurer assigned (head.policySource) [env: AVATAR_POLICY_SOURCE]'
            cand --timeout 'Seconds allowed per HTTP request, fractions allowed: from 0.001 to 3600 [default: 30]'
            cand --retries 'Extra attempts for a notice that got no usable answer, 0 to 10 [default: 3]'
            cand --cacert 'Extra trusted CA certificate (PEM) for a private test platform'
            cand -H 'Extra HTTP header, ''Name: value'' or ''Name: @FILE'' (value read from FILE); repeatable'
            cand --header 'Extra HTTP header, ''Name: value'' or ''Name: @FILE'' (value read from FILE); repeatable'
            cand --journal 'Journal of everything sent: a SQLite file, or a PostgreSQL database as postgres://USER@HOST:PORT/DATABASE [env: AVATAR_JOURNAL] [default: <state dir>/avatar-cli/journal.sqlite3]'
            cand -e 'Which platform to call [env: AVATAR_ENV] [default: the config''s env, else test]'
            cand --env 'Which platform to call [env: AVATAR_ENV] [default: the config''s env, else test]'
            cand --base-url 'scheme://host[:port][/prefix] of the platform; the 5.30 path is appended [env: AVATAR_BASE_URL]'
            cand --config 'TOML config file [env: AVATAR_CONFIG] [default: <config dir>/avatar-cli/config.toml]'
            cand -o 'Output format of results on stdout'
            cand --output 'Output format of results on stdout'
            cand --color 'When to colour output (NO_COLOR is honoured) [default: auto]'
            cand --json 'Same as --output json (JSON Lines on stdout); the later of the two wins'
            cand -v 'Print request and response bodies on stderr (header values redacted)'
            cand --verbose 'Print request and response bodies on stderr (header values redacted)'
            cand -q 'Print nothing on stderr but errors'
            cand --quiet 'Print nothing on stderr but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'avatar-cli;config;path'= {
            cand -e 'Which platform to call [env: AVATAR_ENV] [default: the config''s env, else test]'
            cand --env 'Which platform to call [env: AVATAR_ENV] [default: the config''s env, else test]'
            cand --base-url 'scheme://host[:port][/prefix] of the platform; the 5.30 path is appended [env: AVATAR_BASE_URL]'
            cand --config 'TOML config file [env: AVATAR_CONFIG] [default: <config dir>/avatar-cli/config.toml]'
            cand -o 'Output format of results on stdout'
            cand --output 'Output format of results on stdout'
            cand --color 'When to colour output (NO_COLOR is honoured) [default: auto]'
            cand --json 'Same as --output json (JSON Lines on stdout); the later of the two wins'
            cand -v 'Print request and response bodies on stderr (header values redacted)'
            cand --verbose 'Print request and response bodies on stderr (header values redacted)'
            cand -q 'Print nothing on stderr but errors'
            cand --quiet 'Print nothing on stderr but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'avatar-cli;config;help'= {
            cand init 'Write a commented config file to fill in; an existing file is never overwritten'
            cand show 'Print every setting a run would use, with its value and where it came from'
            cand path 'Print where the config file is looked for, and whether it is there'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'avatar-cli;config;help;init'= {
        }
        &'avatar-cli;config;help;show'= {
        }
        &'avatar-cli;config;help;path'= {
        }
        &'avatar-cli;config;help;help'= {
        }
        &'avatar-cli;journal'= {
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand stats 'Count notices per platform and channel, by state, with the oldest and newest, and the journal''s size'
            cand backup 'Copy the journal to FILE, consistent even while other runs write to it'
            cand prune 'Drop the request and answer bodies of attempts before a date; every notice and attempt stays'
            cand copy 'Copy every notice, attempt and run of one journal into another, SQLite or PostgreSQL either way; refused, with nothing written, where the two record a notice differently'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'avatar-cli;journal;stats'= {
            cand --journal 'Journal of everything sent: a SQLite file, or a PostgreSQL database as postgres://USER@HOST:PORT/DATABASE [env: AVATAR_JOURNAL] [default: <state dir>/avatar-cli/journal.sqlite3]'
            cand -e 'Which platform to call [env: AVATAR_ENV] [default: the config''s env, else test]'
            cand --env 'Which platform to call [env: AVATAR_ENV] [default: the config''s env, else test]'
            cand --base-url 'scheme://host[:port][/prefix] of the platform; the 5.30 path is appended [env: AVATAR_BASE_URL]'
            cand --config 'TOML config file [env: AVATAR_CONFIG] [default: <config dir>/avatar-cli/config.toml]'
            cand -o 'Output format of results on stdout'
            cand --output 'Output format of results on stdout'
            cand --color 'When to colour output (NO_COLOR is honoured) [default: auto]'
            cand --json 'Same as --output json (JSON Lines on stdout); the later of the two wins'
            cand -v 'Print request and response bodies on stderr (header values redacted)'
            cand --verbose 'Print request and response bodies on stderr (header values redacted)'
            cand -q 'Print nothing on stderr but errors'
            cand --quiet 'Print nothing on stderr but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'avatar-cli;journal;backup'= {
            cand --journal 'Journal of everything sent: a SQLite file, or a PostgreSQL database as postgres://USER@HOST:PORT/DATABASE [env: AVATAR_JOURNAL] [default: <state dir>/avatar-cli/journal.sqlite3]'
            cand -e 'Which platform to call [env: AVATAR_ENV] [default: the config''s env, else test]'
            cand --env 'Which platform to call [env: AVATAR_ENV] [default: the config''s env, else test]'
            cand --base-url 'scheme://host[:port][/prefix] of the platform; the 5.30 path is appended [env: AVATAR_BASE_URL]'
            cand --config 'TOML config file [env: AVATAR_CONFIG] [default: <config dir>/avatar-cli/config.toml]'
            cand -o 'Output format of results on stdout'
            cand --output 'Output format of results on stdout'
            cand --color 'When to colour output (NO_COLOR is honoured) [default: auto]'
            cand --force 'Replace FILE if it exists'
            cand --json 'Same as --output json (JSON Lines on stdout); the later of the two wins'
            cand -v 'Print request and response bodies on stderr (header values redacted)'
            cand --verbose 'Print request and response bodies on stderr (header values redacted)'
            cand -q 'Print nothing on stderr but errors'
            cand --quiet 'Print nothing on stderr but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'avatar-cli;journal;prune'= {
            cand --bodies-before 'Drop the bodies of attempts started before this day (yyyy-MM-dd, China Standard Time, as history''s --since); not a day in the future'
            cand --journal 'Journal of everything sent: a SQLite file, or a PostgreSQL database as postgres://USER@HOST:PORT/DATABASE [env: AVATAR_JOURNAL] [default: <state dir>/avatar-cli/journal.sqlite3]'
            cand -e 'Which platform to call [env: AVATAR_ENV] [default: the config''s env, else test]'
            cand --env 'Which platform to call [env: AVATAR_ENV] [default: the config''s env, else test]'
            cand --base-url 'scheme://host[:port][/prefix] of the platform; the 5.30 path is appended [env: AVATAR_BASE_URL]'
            cand --config 'TOML config file [env: AVATAR_CONFIG] [default: <config dir>/avatar-cli/config.toml]'
            cand -o 'Output format of results on stdout'
            cand --output 'Output format of results on stdout'
            cand --color 'When to colour output (NO_COLOR is honoured) [default: auto]'
            cand --json 'Same as --output json (JSON Lines on stdout); the later of the two wins'
            cand -v 'Print request and response bodies on stderr (header values redacted)'
            cand --verbose 'Print request and response bodies on stderr (header values redacted)'
            cand -q 'Print nothing on stderr but errors'
            cand --quiet 'Print nothing on stderr but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'avatar-cli;journal;copy'= {
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'avatar-cli;journal;help'= {
            cand stats 'Count notices per platform and channel, by state, with the oldest and newest, and the journal''s size'
            cand backup 'Copy the journal to FILE, consistent even while other runs write to it'
            cand prune 'Drop the request and answer bodies of attempts before a date; every notice and attempt stays'
            cand copy 'Copy every notice, attempt and run of one journal into another, SQLite or PostgreSQL either way; refused, with nothing written, where the two record a notice differently'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'avatar-cli;journal;help;stats'= {
        }
        &'avatar-cli;journal;help;backup'= {
        }
        &'avatar-cli;journal;help;prune'= {
        }
        &'avatar-cli;journal;help;copy'= {
        }
        &'avatar-cli;journal;help;help'= {
        }
        &'avatar-cli;completions'= {
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'avatar-cli;man'= {
            cand --install 'Write every page into DIR/man1, where `man avatar-cli` finds them [default: $XDG_DATA_HOME/man, else ~/.local/share/man]'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'avatar-cli;help'= {
            cand send 'Send a notice for one or more policies given on the command line'
            cand batch 'Send a notice for every row of a CSV, JSON Lines or workbook file'
            cand validate 'Check input offline: send nothing, write no journal'
            cand history 'Show what the journal recorded'
            cand sandbox 'Run a local Avatar simulator (loopback only) for rehearsals, demos and tests'
            cand doctor 'Check settings, the platform''s reachability, the clock and the journal; send nothing'
            cand config 'Write a commented config file, show every setting and where it came from, or say where the file is looked for'
            cand journal 'Look after the journal: what it holds, a copy while runs write, old bodies dropped, a desk''s history moved between SQLite and PostgreSQL'
            cand completions 'Print a completion script'
            cand man 'Print a manual page (roff), of avatar-cli or of one command, or install them all'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'avatar-cli;help;send'= {
        }
        &'avatar-cli;help;batch'= {
        }
        &'avatar-cli;help;validate'= {
        }
        &'avatar-cli;help;history'= {
        }
        &'avatar-cli;help;sandbox'= {
        }
        &'avatar-cli;help;doctor'= {
        }
        &'avatar-cli;help;config'= {
            cand init 'Write a commented config file to fill in; an existing file is never overwritten'
            cand show 'Print every setting a run would use, with its value and where it came from'
            cand path 'Print where the config file is looked for, and whether it is there'
        }
        &'avatar-cli;help;config;init'= {
        }
        &'avatar-cli;help;config;show'= {
        }
        &'avatar-cli;help;config;path'= {
        }
        &'avatar-cli;help;journal'= {
            cand stats 'Count notices per platform and channel, by state, with the oldest and newest, and the journal''s size'
            cand backup 'Copy the journal to FILE, consistent even while other runs write to it'
            cand prune 'Drop the request and answer bodies of attempts before a date; every notice and attempt stays'
            cand copy 'Copy every notice, attempt and run of one journal into another, SQLite or PostgreSQL either way; refused, with nothing written, where the two record a notice differently'
        }
        &'avatar-cli;help;journal;stats'= {
        }
        &'avatar-cli;help;journal;backup'= {
        }
        &'avatar-cli;help;journal;prune'= {
        }
        &'avatar-cli;help;journal;copy'= {
        }
        &'avatar-cli;help;completions'= {
        }
        &'avatar-cli;help;man'= {
        }
        &'avatar-cli;help;help'= {
        }
    ]
    $completions[$command]
}
