# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_avatar_cli_global_optspecs
    string join \n channel= e/env= base-url= config= o/output= json color= v/verbose q/quiet policy-source= timeout= retries= cacert= H/header= journal= no-journal h/help V/version
end

function __fish_avatar_cli_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_avatar_cli_global_optspecs) -- $cmd 2>/dev/null
    or argparse -s (__fish_avatar_cli_global_optspecs) -- $cmd[1..-2] 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_avatar_cli_using_subcommand
    set -l cmd (__fish_avatar_cli_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c avatar-cli -n "__fish_avatar_cli_needs_command" -s e -l env -d 'Which platform to call [env: AVATAR_ENV] [default: the config\'s env, else test]' -r -f -a "test\t''
prod\t''
sandbox\t''"
complete -c avatar-cli -n "__fish_avatar_cli_needs_command" -l base-url -d 'scheme://host[:port][/prefix] of the platform; the 5.30 path is appended [env: AVATAR_BASE_URL]' -r
complete -c avatar-cli -n "__fish_avatar_cli_needs_command" -l config -d 'TOML config file [env: AVATAR_CONFIG] [default: <config dir>/avatar-cli/config.toml]' -r -F
complete -c avatar-cli -n "__fish_avatar_cli_needs_command" -s o -l output -d 'Output format of results on stdout' -r -f -a "text\t''
json\t''
csv\t'`history` only: the stored content as a CSV that `batch` reads back'
jsonl\t'`history` only: the stored content as JSON Lines that `batch` reads back'
xlsx\t'`history` only: the stored content as a workbook (to --out FILE, or a stdout that is not a terminal), which `batch` reads back too'"
complete -c avatar-cli -n "__fish_avatar_cli_needs_command" -l color -d 'When to colour output (NO_COLOR is honoured) [default: auto]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c avatar-cli -n "__fish_avatar_cli_needs_command" -l policy-source -l channel -d 'Channel code the insurer assigned (head.policySource) [env: AVATAR_POLICY_SOURCE]' -r
complete -c avatar-cli -n "__fish_avatar_cli_needs_command" -l timeout -d 'Seconds allowed per HTTP request, fractions allowed: from 0.001 to 3600 [default: 30]' -r
complete -c avatar-cli -n "__fish_avatar_cli_needs_command" -l retries -d 'Extra attempts for a notice that got no usable answer, 0 to 10 [default: 3]' -r
complete -c avatar-cli -n "__fish_avatar_cli_needs_command" -l cacert -d 'Extra trusted CA certificate (PEM) for a private test platform' -r -F
complete -c avatar-cli -n "__fish_avatar_cli_needs_command" -s H -l header -d 'Extra HTTP header, \'Name: value\' or \'Name: @FILE\' (value read from FILE); repeatable' -r
complete -c avatar-cli -n "__fish_avatar_cli_needs_command" -l journal -d 'Journal of everything sent: a SQLite file, or a PostgreSQL database as postgres://USER@HOST:PORT/DATABASE [env: AVATAR_JOURNAL] [default: <state dir>/avatar-cli/journal.sqlite3]' -r -F
complete -c avatar-cli -n "__fish_avatar_cli_needs_command" -l json -d 'Same as --output json (JSON Lines on stdout); the later of the two wins'
complete -c avatar-cli -n "__fish_avatar_cli_needs_command" -s v -l verbose -d 'Print request and response bodies on stderr (header values redacted)'
complete -c avatar-cli -n "__fish_avatar_cli_needs_command" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c avatar-cli -n "__fish_avatar_cli_needs_command" -l no-journal -d 'Send without a journal: no skipping, no resume (wins over --journal and AVATAR_JOURNAL)'
complete -c avatar-cli -n "__fish_avatar_cli_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c avatar-cli -n "__fish_avatar_cli_needs_command" -s V -l version -d 'Print version'
complete -c avatar-cli -n "__fish_avatar_cli_needs_command" -f -a "send" -d 'Send a notice for one or more policies given on the command line'
complete -c avatar-cli -n "__fish_avatar_cli_needs_command" -f -a "batch" -d 'Send a notice for every row of a CSV, JSON Lines or workbook file'
complete -c avatar-cli -n "__fish_avatar_cli_needs_command" -f -a "validate" -d 'Check input offline: send nothing, write no journal'
complete -c avatar-cli -n "__fish_avatar_cli_needs_command" -f -a "history" -d 'Show what the journal recorded'
complete -c avatar-cli -n "__fish_avatar_cli_needs_command" -f -a "sandbox" -d 'Run a local Avatar simulator (loopback only) for rehearsals, demos and tests'
complete -c avatar-cli -n "__fish_avatar_cli_needs_command" -f -a "doctor" -d 'Check settings, the platform\'s reachability, the clock and the journal; send nothing'
complete -c avatar-cli -n "__fish_avatar_cli_needs_command" -f -a "config" -d 'Write a commented config file, show every setting and where it came from, or say where the file is looked for'
complete -c avatar-cli -n "__fish_avatar_cli_needs_command" -f -a "journal" -d 'Look after the journal: what it holds, a copy while runs write, old bodies dropped, a desk\'s history moved between SQLite and PostgreSQL'
complete -c avatar-cli -n "__fish_avatar_cli_needs_command" -f -a "completions" -d 'Print a completion script'
complete -c avatar-cli -n "__fish_avatar_cli_needs_command" -f -a "man" -d 'Print a manual page (roff), of avatar-cli or of one command, or install them all'
complete -c avatar-cli -n "__fish_avatar_cli_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand send" -l policy -d 'Policy number; repeatable' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand send" -l order-no -d 'The policy\'s order number (only with a single --policy)' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand send" -l amount -d 'secondRefundAmount, a decimal with at most two places' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand send" -l refund-date -d 'secondRefundDate, in China Standard Time' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand send" -l status -d 'secondRefundStatus' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand send" -l installment -d 'installmentList item; repeatable' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand send" -l interface-type -d 'head.interfaceType, if the platform contact says it is not recissionNotice' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand send" -l policy-source -l channel -d 'Channel code the insurer assigned (head.policySource) [env: AVATAR_POLICY_SOURCE]' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand send" -l timeout -d 'Seconds allowed per HTTP request, fractions allowed: from 0.001 to 3600 [default: 30]' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand send" -l retries -d 'Extra attempts for a notice that got no usable answer, 0 to 10 [default: 3]' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand send" -l cacert -d 'Extra trusted CA certificate (PEM) for a private test platform' -r -F
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand send" -s H -l header -d 'Extra HTTP header, \'Name: value\' or \'Name: @FILE\' (value read from FILE); repeatable' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand send" -l journal -d 'Journal of everything sent: a SQLite file, or a PostgreSQL database as postgres://USER@HOST:PORT/DATABASE [env: AVATAR_JOURNAL] [default: <state dir>/avatar-cli/journal.sqlite3]' -r -F
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand send" -s e -l env -d 'Which platform to call [env: AVATAR_ENV] [default: the config\'s env, else test]' -r -f -a "test\t''
prod\t''
sandbox\t''"
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand send" -l base-url -d 'scheme://host[:port][/prefix] of the platform; the 5.30 path is appended [env: AVATAR_BASE_URL]' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand send" -l config -d 'TOML config file [env: AVATAR_CONFIG] [default: <config dir>/avatar-cli/config.toml]' -r -F
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand send" -s o -l output -d 'Output format of results on stdout' -r -f -a "text\t''
json\t''
csv\t'`history` only: the stored content as a CSV that `batch` reads back'
jsonl\t'`history` only: the stored content as JSON Lines that `batch` reads back'
xlsx\t'`history` only: the stored content as a workbook (to --out FILE, or a stdout that is not a terminal), which `batch` reads back too'"
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand send" -l color -d 'When to colour output (NO_COLOR is honoured) [default: auto]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand send" -l generate-order-no -d 'Generate an order number where none is given or journaled'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand send" -l dry-run -d 'Print the envelopes that would be sent; send nothing, write no journal'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand send" -s y -l yes -d 'Do not ask for confirmation (production)'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand send" -l force -d 'Send again even if the journal records the notice as accepted (or rejected)'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand send" -l retry-rejected -d 'Send again, unchanged, the notices the platform rejected before (without it they are skipped as "rejected earlier", and the run exits 1)'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand send" -l no-journal -d 'Send without a journal: no skipping, no resume (wins over --journal and AVATAR_JOURNAL)'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand send" -l json -d 'Same as --output json (JSON Lines on stdout); the later of the two wins'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand send" -s v -l verbose -d 'Print request and response bodies on stderr (header values redacted)'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand send" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand send" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand send" -s V -l version -d 'Print version'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand batch" -l format -d 'Format of a text file [default: by extension: .jsonl/.ndjson are JSON Lines, else CSV; a workbook is recognised by its content]' -r -f -a "csv\t''
jsonl\t''"
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand batch" -l encoding -d 'Text encoding [default: UTF-8, or GB18030 when the file is not valid UTF-8]' -r -f -a "utf-8\t''
gb18030\t''"
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand batch" -l column -d 'Read the column HEADER as FIELD (policyNo, orderNo, secondRefundAmount, ...); repeatable' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand batch" -l delimiter -d 'CSV column separator: one character such as \';\', or tab [default: ,]' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand batch" -l sheet -d 'The workbook\'s sheet to read [default: the first]' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand batch" -l ignore-column -d 'Do not warn about the column (or JSON key) NAME, which is no field (matched trimmed, ignoring case); repeatable, and added to the config\'s ignore_columns' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand batch" -l concurrency -d 'Notices in flight at once, 1 to 1024 [default: 4]' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand batch" -l rate -d 'At most this many requests per second across all workers, 0.01 to 100000' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand batch" -l report -d 'Write one row per input row to FILE: CSV, a workbook if it ends in .xlsx, JSON Lines if in .jsonl' -r -F
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand batch" -l report-headers -d 'The language of the report\'s headers [default: the input\'s: Chinese for a file whose columns are named in Chinese]' -r -f -a "en\t'English: policyNo, outcome, dealDesc, …'
zh\t'Chinese: 保单号, 结果, 处理描述, …'"
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand batch" -l rejects -d 'With --skip-invalid: the rows set aside, as the input had them, with a problem column (CSV, or a workbook if it ends in .xlsx)' -r -F
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand batch" -l interface-type -d 'head.interfaceType, if the platform contact says it is not recissionNotice' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand batch" -l policy-source -l channel -d 'Channel code the insurer assigned (head.policySource) [env: AVATAR_POLICY_SOURCE]' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand batch" -l timeout -d 'Seconds allowed per HTTP request, fractions allowed: from 0.001 to 3600 [default: 30]' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand batch" -l retries -d 'Extra attempts for a notice that got no usable answer, 0 to 10 [default: 3]' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand batch" -l cacert -d 'Extra trusted CA certificate (PEM) for a private test platform' -r -F
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand batch" -s H -l header -d 'Extra HTTP header, \'Name: value\' or \'Name: @FILE\' (value read from FILE); repeatable' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand batch" -l journal -d 'Journal of everything sent: a SQLite file, or a PostgreSQL database as postgres://USER@HOST:PORT/DATABASE [env: AVATAR_JOURNAL] [default: <state dir>/avatar-cli/journal.sqlite3]' -r -F
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand batch" -s e -l env -d 'Which platform to call [env: AVATAR_ENV] [default: the config\'s env, else test]' -r -f -a "test\t''
prod\t''
sandbox\t''"
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand batch" -l base-url -d 'scheme://host[:port][/prefix] of the platform; the 5.30 path is appended [env: AVATAR_BASE_URL]' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand batch" -l config -d 'TOML config file [env: AVATAR_CONFIG] [default: <config dir>/avatar-cli/config.toml]' -r -F
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand batch" -s o -l output -d 'Output format of results on stdout' -r -f -a "text\t''
json\t''
csv\t'`history` only: the stored content as a CSV that `batch` reads back'
jsonl\t'`history` only: the stored content as JSON Lines that `batch` reads back'
xlsx\t'`history` only: the stored content as a workbook (to --out FILE, or a stdout that is not a terminal), which `batch` reads back too'"
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand batch" -l color -d 'When to colour output (NO_COLOR is honoured) [default: auto]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand batch" -l skip-invalid -d 'Send the valid rows and set the invalid ones aside in --rejects FILE (exit 1 at best); without it one invalid row stops the whole file'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand batch" -l fail-fast -d 'After the first rejected, failed or in-doubt notice, start nothing new'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand batch" -l generate-order-no -d 'Generate an order number where none is given or journaled'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand batch" -l dry-run -d 'Print the envelopes that would be sent; send nothing, write no journal'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand batch" -s y -l yes -d 'Do not ask for confirmation (production)'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand batch" -l force -d 'Send again even if the journal records the notice as accepted (or rejected)'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand batch" -l retry-rejected -d 'Send again, unchanged, the notices the platform rejected before (without it they are skipped as "rejected earlier", and the run exits 1)'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand batch" -l no-journal -d 'Send without a journal: no skipping, no resume (wins over --journal and AVATAR_JOURNAL)'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand batch" -l json -d 'Same as --output json (JSON Lines on stdout); the later of the two wins'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand batch" -s v -l verbose -d 'Print request and response bodies on stderr (header values redacted)'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand batch" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand batch" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand batch" -s V -l version -d 'Print version'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand validate" -l policy -d 'Policy number; repeatable' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand validate" -l order-no -d 'The policy\'s order number (only with a single --policy)' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand validate" -l amount -d 'secondRefundAmount, a decimal with at most two places' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand validate" -l refund-date -d 'secondRefundDate, in China Standard Time' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand validate" -l status -d 'secondRefundStatus' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand validate" -l installment -d 'installmentList item; repeatable' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand validate" -l format -d 'Format of a text file [default: by extension: .jsonl/.ndjson are JSON Lines, else CSV; a workbook is recognised by its content]' -r -f -a "csv\t''
jsonl\t''"
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand validate" -l encoding -d 'Text encoding [default: UTF-8, or GB18030 when the file is not valid UTF-8]' -r -f -a "utf-8\t''
gb18030\t''"
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand validate" -l column -d 'Read the column HEADER as FIELD (policyNo, orderNo, secondRefundAmount, ...); repeatable' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand validate" -l delimiter -d 'CSV column separator: one character such as \';\', or tab [default: ,]' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand validate" -l sheet -d 'The workbook\'s sheet to read [default: the first]' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand validate" -l ignore-column -d 'Do not warn about the column (or JSON key) NAME, which is no field (matched trimmed, ignoring case); repeatable, and added to the config\'s ignore_columns' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand validate" -l fix -d 'Write a corrected copy to OUT (.csv or .xlsx), then check it: exit 0 when OUT has no errors left, 2 otherwise' -r -F
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand validate" -s e -l env -d 'Which platform to call [env: AVATAR_ENV] [default: the config\'s env, else test]' -r -f -a "test\t''
prod\t''
sandbox\t''"
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand validate" -l base-url -d 'scheme://host[:port][/prefix] of the platform; the 5.30 path is appended [env: AVATAR_BASE_URL]' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand validate" -l config -d 'TOML config file [env: AVATAR_CONFIG] [default: <config dir>/avatar-cli/config.toml]' -r -F
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand validate" -s o -l output -d 'Output format of results on stdout' -r -f -a "text\t''
json\t''
csv\t'`history` only: the stored content as a CSV that `batch` reads back'
jsonl\t'`history` only: the stored content as JSON Lines that `batch` reads back'
xlsx\t'`history` only: the stored content as a workbook (to --out FILE, or a stdout that is not a terminal), which `batch` reads back too'"
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand validate" -l color -d 'When to colour output (NO_COLOR is honoured) [default: auto]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand validate" -l generate-order-no -d 'Order numbers will be generated: a missing one is not an error'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand validate" -l json -d 'Same as --output json (JSON Lines on stdout); the later of the two wins'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand validate" -s v -l verbose -d 'Print request and response bodies on stderr (header values redacted)'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand validate" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand validate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand validate" -s V -l version -d 'Print version'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand history" -l run -d 'Only what one run did: an id from `history runs`, or last' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand history" -l policy -d 'Only this policy' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand history" -l policy-source -l channel -d 'Only this channel (head.policySource)' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand history" -l environment -d 'Only this environment: a name from the config or a base URL. `--env` and `--base-url` (or AVATAR_ENV and AVATAR_BASE_URL) filter too; the config\'s default env does not. Hidden: the old spelling, kept for scripts' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand history" -l outcome -d 'Only notices whose latest state is this (accepted, rejected, failed, inDoubt, notSent)' -r -f -a "accepted\t''
rejected\t''
failed\t''
inDoubt\t''
notSent\t''"
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand history" -l since -d 'From this date or time (yyyy-MM-dd, yyyy-MM-dd HH:mm:ss in China Standard Time, RFC 3339, or today, yesterday, 30m, 1h, 7d)' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand history" -l until -d 'Up to this date or time (a bare date includes that whole day)' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand history" -l limit -d 'At most this many rows, newest first; 0 for all [default: 50 on a terminal, else all]' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand history" -l out -d 'Write the export to FILE instead of stdout: --output csv, jsonl or xlsx, else the one FILE\'s extension names' -r -F
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand history" -l journal -d 'Journal of everything sent: a SQLite file, or a PostgreSQL database as postgres://USER@HOST:PORT/DATABASE [env: AVATAR_JOURNAL] [default: <state dir>/avatar-cli/journal.sqlite3]' -r -F
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand history" -s e -l env -d 'Which platform to call [env: AVATAR_ENV] [default: the config\'s env, else test]' -r -f -a "test\t''
prod\t''
sandbox\t''"
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand history" -l base-url -d 'scheme://host[:port][/prefix] of the platform; the 5.30 path is appended [env: AVATAR_BASE_URL]' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand history" -l config -d 'TOML config file [env: AVATAR_CONFIG] [default: <config dir>/avatar-cli/config.toml]' -r -F
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand history" -s o -l output -d 'Output format of results on stdout' -r -f -a "text\t''
json\t''
csv\t'`history` only: the stored content as a CSV that `batch` reads back'
jsonl\t'`history` only: the stored content as JSON Lines that `batch` reads back'
xlsx\t'`history` only: the stored content as a workbook (to --out FILE, or a stdout that is not a terminal), which `batch` reads back too'"
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand history" -l color -d 'When to colour output (NO_COLOR is honoured) [default: auto]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand history" -l attempts -d 'One row per attempt instead of one per notice'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand history" -l wide -d 'On a terminal, every column whole, however wide the table (else it is fitted to the terminal\'s width)'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand history" -l json -d 'Same as --output json (JSON Lines on stdout); the later of the two wins'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand history" -s v -l verbose -d 'Print request and response bodies on stderr (header values redacted)'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand history" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand history" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand history" -s V -l version -d 'Print version'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand sandbox" -l port -d 'Port on 127.0.0.1 [default: a free one]' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand sandbox" -l latency-ms -d 'Delay before every answer' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand sandbox" -l fail-rate -d 'Share of requests answered HTTP 503, 0.0 to 1.0' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand sandbox" -l reject -d 'Answer dealCode "0" for policy numbers matching this glob (* and ?); repeatable' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand sandbox" -l seed -d 'Seed for the random faults, so a rehearsal can be repeated' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand sandbox" -s e -l env -d 'Which platform to call [env: AVATAR_ENV] [default: the config\'s env, else test]' -r -f -a "test\t''
prod\t''
sandbox\t''"
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand sandbox" -l base-url -d 'scheme://host[:port][/prefix] of the platform; the 5.30 path is appended [env: AVATAR_BASE_URL]' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand sandbox" -l config -d 'TOML config file [env: AVATAR_CONFIG] [default: <config dir>/avatar-cli/config.toml]' -r -F
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand sandbox" -s o -l output -d 'Output format of results on stdout' -r -f -a "text\t''
json\t''
csv\t'`history` only: the stored content as a CSV that `batch` reads back'
jsonl\t'`history` only: the stored content as JSON Lines that `batch` reads back'
xlsx\t'`history` only: the stored content as a workbook (to --out FILE, or a stdout that is not a terminal), which `batch` reads back too'"
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand sandbox" -l color -d 'When to colour output (NO_COLOR is honoured) [default: auto]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand sandbox" -l json -d 'Same as --output json (JSON Lines on stdout); the later of the two wins'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand sandbox" -s v -l verbose -d 'Print request and response bodies on stderr (header values redacted)'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand sandbox" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand sandbox" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand sandbox" -s V -l version -d 'Print version'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand doctor" -l policy-source -l channel -d 'Channel code the insurer assigned (head.policySource) [env: AVATAR_POLICY_SOURCE]' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand doctor" -l timeout -d 'Seconds allowed per HTTP request, fractions allowed: from 0.001 to 3600 [default: 30]' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand doctor" -l retries -d 'Extra attempts for a notice that got no usable answer, 0 to 10 [default: 3]' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand doctor" -l cacert -d 'Extra trusted CA certificate (PEM) for a private test platform' -r -F
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand doctor" -s H -l header -d 'Extra HTTP header, \'Name: value\' or \'Name: @FILE\' (value read from FILE); repeatable' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand doctor" -l journal -d 'Journal of everything sent: a SQLite file, or a PostgreSQL database as postgres://USER@HOST:PORT/DATABASE [env: AVATAR_JOURNAL] [default: <state dir>/avatar-cli/journal.sqlite3]' -r -F
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand doctor" -s e -l env -d 'Which platform to call [env: AVATAR_ENV] [default: the config\'s env, else test]' -r -f -a "test\t''
prod\t''
sandbox\t''"
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand doctor" -l base-url -d 'scheme://host[:port][/prefix] of the platform; the 5.30 path is appended [env: AVATAR_BASE_URL]' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand doctor" -l config -d 'TOML config file [env: AVATAR_CONFIG] [default: <config dir>/avatar-cli/config.toml]' -r -F
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand doctor" -s o -l output -d 'Output format of results on stdout' -r -f -a "text\t''
json\t''
csv\t'`history` only: the stored content as a CSV that `batch` reads back'
jsonl\t'`history` only: the stored content as JSON Lines that `batch` reads back'
xlsx\t'`history` only: the stored content as a workbook (to --out FILE, or a stdout that is not a terminal), which `batch` reads back too'"
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand doctor" -l color -d 'When to colour output (NO_COLOR is honoured) [default: auto]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand doctor" -l json -d 'Same as --output json (JSON Lines on stdout); the later of the two wins'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand doctor" -s v -l verbose -d 'Print request and response bodies on stderr (header values redacted)'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand doctor" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand doctor" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand doctor" -s V -l version -d 'Print version'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand config; and not __fish_seen_subcommand_from init show path help" -s h -l help -d 'Print help'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand config; and not __fish_seen_subcommand_from init show path help" -s V -l version -d 'Print version'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand config; and not __fish_seen_subcommand_from init show path help" -f -a "init" -d 'Write a commented config file to fill in; an existing file is never overwritten'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand config; and not __fish_seen_subcommand_from init show path help" -f -a "show" -d 'Print every setting a run would use, with its value and where it came from'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand config; and not __fish_seen_subcommand_from init show path help" -f -a "path" -d 'Print where the config file is looked for, and whether it is there'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand config; and not __fish_seen_subcommand_from init show path help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand config; and __fish_seen_subcommand_from init" -l path -d 'Write this file [default: where the config is looked for: --config, AVATAR_CONFIG, else <config dir>/avatar-cli/config.toml]' -r -F
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand config; and __fish_seen_subcommand_from init" -l policy-source -l channel -d 'The channel code the insurer assigned you, written in [default: left for you to fill in]' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand config; and __fish_seen_subcommand_from init" -s e -l env -d 'Which platform to call [env: AVATAR_ENV] [default: the config\'s env, else test]' -r -f -a "test\t''
prod\t''
sandbox\t''"
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand config; and __fish_seen_subcommand_from init" -l base-url -d 'scheme://host[:port][/prefix] of the platform; the 5.30 path is appended [env: AVATAR_BASE_URL]' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand config; and __fish_seen_subcommand_from init" -l config -d 'TOML config file [env: AVATAR_CONFIG] [default: <config dir>/avatar-cli/config.toml]' -r -F
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand config; and __fish_seen_subcommand_from init" -s o -l output -d 'Output format of results on stdout' -r -f -a "text\t''
json\t''
csv\t'`history` only: the stored content as a CSV that `batch` reads back'
jsonl\t'`history` only: the stored content as JSON Lines that `batch` reads back'
xlsx\t'`history` only: the stored content as a workbook (to --out FILE, or a stdout that is not a terminal), which `batch` reads back too'"
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand config; and __fish_seen_subcommand_from init" -l color -d 'When to colour output (NO_COLOR is honoured) [default: auto]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand config; and __fish_seen_subcommand_from init" -l json -d 'Same as --output json (JSON Lines on stdout); the later of the two wins'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand config; and __fish_seen_subcommand_from init" -s v -l verbose -d 'Print request and response bodies on stderr (header values redacted)'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand config; and __fish_seen_subcommand_from init" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand config; and __fish_seen_subcommand_from init" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand config; and __fish_seen_subcommand_from init" -s V -l version -d 'Print version'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand config; and __fish_seen_subcommand_from show" -l policy-source -l channel -d 'Channel code the insurer assigned (head.policySource) [env: AVATAR_POLICY_SOURCE]' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand config; and __fish_seen_subcommand_from show" -l timeout -d 'Seconds allowed per HTTP request, fractions allowed: from 0.001 to 3600 [default: 30]' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand config; and __fish_seen_subcommand_from show" -l retries -d 'Extra attempts for a notice that got no usable answer, 0 to 10 [default: 3]' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand config; and __fish_seen_subcommand_from show" -l cacert -d 'Extra trusted CA certificate (PEM) for a private test platform' -r -F
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand config; and __fish_seen_subcommand_from show" -s H -l header -d 'Extra HTTP header, \'Name: value\' or \'Name: @FILE\' (value read from FILE); repeatable' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand config; and __fish_seen_subcommand_from show" -l journal -d 'Journal of everything sent: a SQLite file, or a PostgreSQL database as postgres://USER@HOST:PORT/DATABASE [env: AVATAR_JOURNAL] [default: <state dir>/avatar-cli/journal.sqlite3]' -r -F
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand config; and __fish_seen_subcommand_from show" -s e -l env -d 'Which platform to call [env: AVATAR_ENV] [default: the config\'s env, else test]' -r -f -a "test\t''
prod\t''
sandbox\t''"
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand config; and __fish_seen_subcommand_from show" -l base-url -d 'scheme://host[:port][/prefix] of the platform; the 5.30 path is appended [env: AVATAR_BASE_URL]' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand config; and __fish_seen_subcommand_from show" -l config -d 'TOML config file [env: AVATAR_CONFIG] [default: <config dir>/avatar-cli/config.toml]' -r -F
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand config; and __fish_seen_subcommand_from show" -s o -l output -d 'Output format of results on stdout' -r -f -a "text\t''
json\t''
csv\t'`history` only: the stored content as a CSV that `batch` reads back'
jsonl\t'`history` only: the stored content as JSON Lines that `batch` reads back'
xlsx\t'`history` only: the stored content as a workbook (to --out FILE, or a stdout that is not a terminal), which `batch` reads back too'"
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand config; and __fish_seen_subcommand_from show" -l color -d 'When to colour output (NO_COLOR is honoured) [default: auto]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand config; and __fish_seen_subcommand_from show" -l json -d 'Same as --output json (JSON Lines on stdout); the later of the two wins'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand config; and __fish_seen_subcommand_from show" -s v -l verbose -d 'Print request and response bodies on stderr (header values redacted)'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand config; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand config; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand config; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand config; and __fish_seen_subcommand_from path" -s e -l env -d 'Which platform to call [env: AVATAR_ENV] [default: the config\'s env, else test]' -r -f -a "test\t''
prod\t''
sandbox\t''"
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand config; and __fish_seen_subcommand_from path" -l base-url -d 'scheme://host[:port][/prefix] of the platform; the 5.30 path is appended [env: AVATAR_BASE_URL]' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand config; and __fish_seen_subcommand_from path" -l config -d 'TOML config file [env: AVATAR_CONFIG] [default: <config dir>/avatar-cli/config.toml]' -r -F
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand config; and __fish_seen_subcommand_from path" -s o -l output -d 'Output format of results on stdout' -r -f -a "text\t''
json\t''
csv\t'`history` only: the stored content as a CSV that `batch` reads back'
jsonl\t'`history` only: the stored content as JSON Lines that `batch` reads back'
xlsx\t'`history` only: the stored content as a workbook (to --out FILE, or a stdout that is not a terminal), which `batch` reads back too'"
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand config; and __fish_seen_subcommand_from path" -l color -d 'When to colour output (NO_COLOR is honoured) [default: auto]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand config; and __fish_seen_subcommand_from path" -l json -d 'Same as --output json (JSON Lines on stdout); the later of the two wins'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand config; and __fish_seen_subcommand_from path" -s v -l verbose -d 'Print request and response bodies on stderr (header values redacted)'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand config; and __fish_seen_subcommand_from path" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand config; and __fish_seen_subcommand_from path" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand config; and __fish_seen_subcommand_from path" -s V -l version -d 'Print version'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "init" -d 'Write a commented config file to fill in; an existing file is never overwritten'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "show" -d 'Print every setting a run would use, with its value and where it came from'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "path" -d 'Print where the config file is looked for, and whether it is there'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand journal; and not __fish_seen_subcommand_from stats backup prune copy help" -s h -l help -d 'Print help'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand journal; and not __fish_seen_subcommand_from stats backup prune copy help" -s V -l version -d 'Print version'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand journal; and not __fish_seen_subcommand_from stats backup prune copy help" -f -a "stats" -d 'Count notices per platform and channel, by state, with the oldest and newest, and the journal\'s size'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand journal; and not __fish_seen_subcommand_from stats backup prune copy help" -f -a "backup" -d 'Copy the journal to FILE, consistent even while other runs write to it'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand journal; and not __fish_seen_subcommand_from stats backup prune copy help" -f -a "prune" -d 'Drop the request and answer bodies of attempts before a date; every notice and attempt stays'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand journal; and not __fish_seen_subcommand_from stats backup prune copy help" -f -a "copy" -d 'Copy every notice, attempt and run of one journal into another, SQLite or PostgreSQL either way; refused, with nothing written, where the two record a notice differently'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand journal; and not __fish_seen_subcommand_from stats backup prune copy help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand journal; and __fish_seen_subcommand_from stats" -l journal -d 'Journal of everything sent: a SQLite file, or a PostgreSQL database as postgres://USER@HOST:PORT/DATABASE [env: AVATAR_JOURNAL] [default: <state dir>/avatar-cli/journal.sqlite3]' -r -F
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand journal; and __fish_seen_subcommand_from stats" -s e -l env -d 'Which platform to call [env: AVATAR_ENV] [default: the config\'s env, else test]' -r -f -a "test\t''
prod\t''
sandbox\t''"
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand journal; and __fish_seen_subcommand_from stats" -l base-url -d 'scheme://host[:port][/prefix] of the platform; the 5.30 path is appended [env: AVATAR_BASE_URL]' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand journal; and __fish_seen_subcommand_from stats" -l config -d 'TOML config file [env: AVATAR_CONFIG] [default: <config dir>/avatar-cli/config.toml]' -r -F
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand journal; and __fish_seen_subcommand_from stats" -s o -l output -d 'Output format of results on stdout' -r -f -a "text\t''
json\t''
csv\t'`history` only: the stored content as a CSV that `batch` reads back'
jsonl\t'`history` only: the stored content as JSON Lines that `batch` reads back'
xlsx\t'`history` only: the stored content as a workbook (to --out FILE, or a stdout that is not a terminal), which `batch` reads back too'"
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand journal; and __fish_seen_subcommand_from stats" -l color -d 'When to colour output (NO_COLOR is honoured) [default: auto]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand journal; and __fish_seen_subcommand_from stats" -l json -d 'Same as --output json (JSON Lines on stdout); the later of the two wins'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand journal; and __fish_seen_subcommand_from stats" -s v -l verbose -d 'Print request and response bodies on stderr (header values redacted)'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand journal; and __fish_seen_subcommand_from stats" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand journal; and __fish_seen_subcommand_from stats" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand journal; and __fish_seen_subcommand_from stats" -s V -l version -d 'Print version'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand journal; and __fish_seen_subcommand_from backup" -l journal -d 'Journal of everything sent: a SQLite file, or a PostgreSQL database as postgres://USER@HOST:PORT/DATABASE [env: AVATAR_JOURNAL] [default: <state dir>/avatar-cli/journal.sqlite3]' -r -F
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand journal; and __fish_seen_subcommand_from backup" -s e -l env -d 'Which platform to call [env: AVATAR_ENV] [default: the config\'s env, else test]' -r -f -a "test\t''
prod\t''
sandbox\t''"
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand journal; and __fish_seen_subcommand_from backup" -l base-url -d 'scheme://host[:port][/prefix] of the platform; the 5.30 path is appended [env: AVATAR_BASE_URL]' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand journal; and __fish_seen_subcommand_from backup" -l config -d 'TOML config file [env: AVATAR_CONFIG] [default: <config dir>/avatar-cli/config.toml]' -r -F
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand journal; and __fish_seen_subcommand_from backup" -s o -l output -d 'Output format of results on stdout' -r -f -a "text\t''
json\t''
csv\t'`history` only: the stored content as a CSV that `batch` reads back'
jsonl\t'`history` only: the stored content as JSON Lines that `batch` reads back'
xlsx\t'`history` only: the stored content as a workbook (to --out FILE, or a stdout that is not a terminal), which `batch` reads back too'"
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand journal; and __fish_seen_subcommand_from backup" -l color -d 'When to colour output (NO_COLOR is honoured) [default: auto]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand journal; and __fish_seen_subcommand_from backup" -l force -d 'Replace FILE if it exists'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand journal; and __fish_seen_subcommand_from backup" -l json -d 'Same as --output json (JSON Lines on stdout); the later of the two wins'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand journal; and __fish_seen_subcommand_from backup" -s v -l verbose -d 'Print request and response bodies on stderr (header values redacted)'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand journal; and __fish_seen_subcommand_from backup" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand journal; and __fish_seen_subcommand_from backup" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand journal; and __fish_seen_subcommand_from backup" -s V -l version -d 'Print version'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand journal; and __fish_seen_subcommand_from prune" -l bodies-before -d 'Drop the bodies of attempts started before this day (yyyy-MM-dd, China Standard Time, as history\'s --since); not a day in the future' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand journal; and __fish_seen_subcommand_from prune" -l journal -d 'Journal of everything sent: a SQLite file, or a PostgreSQL database as postgres://USER@HOST:PORT/DATABASE [env: AVATAR_JOURNAL] [default: <state dir>/avatar-cli/journal.sqlite3]' -r -F
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand journal; and __fish_seen_subcommand_from prune" -s e -l env -d 'Which platform to call [env: AVATAR_ENV] [default: the config\'s env, else test]' -r -f -a "test\t''
prod\t''
sandbox\t''"
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand journal; and __fish_seen_subcommand_from prune" -l base-url -d 'scheme://host[:port][/prefix] of the platform; the 5.30 path is appended [env: AVATAR_BASE_URL]' -r
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand journal; and __fish_seen_subcommand_from prune" -l config -d 'TOML config file [env: AVATAR_CONFIG] [default: <config dir>/avatar-cli/config.toml]' -r -F
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand journal; and __fish_seen_subcommand_from prune" -s o -l output -d 'Output format of results on stdout' -r -f -a "text\t''
json\t''
csv\t'`history` only: the stored content as a CSV that `batch` reads back'
jsonl\t'`history` only: the stored content as JSON Lines that `batch` reads back'
xlsx\t'`history` only: the stored content as a workbook (to --out FILE, or a stdout that is not a terminal), which `batch` reads back too'"
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand journal; and __fish_seen_subcommand_from prune" -l color -d 'When to colour output (NO_COLOR is honoured) [default: auto]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand journal; and __fish_seen_subcommand_from prune" -l json -d 'Same as --output json (JSON Lines on stdout); the later of the two wins'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand journal; and __fish_seen_subcommand_from prune" -s v -l verbose -d 'Print request and response bodies on stderr (header values redacted)'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand journal; and __fish_seen_subcommand_from prune" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand journal; and __fish_seen_subcommand_from prune" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand journal; and __fish_seen_subcommand_from prune" -s V -l version -d 'Print version'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand journal; and __fish_seen_subcommand_from copy" -s h -l help -d 'Print help'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand journal; and __fish_seen_subcommand_from copy" -s V -l version -d 'Print version'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand journal; and __fish_seen_subcommand_from help" -f -a "stats" -d 'Count notices per platform and channel, by state, with the oldest and newest, and the journal\'s size'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand journal; and __fish_seen_subcommand_from help" -f -a "backup" -d 'Copy the journal to FILE, consistent even while other runs write to it'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand journal; and __fish_seen_subcommand_from help" -f -a "prune" -d 'Drop the request and answer bodies of attempts before a date; every notice and attempt stays'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand journal; and __fish_seen_subcommand_from help" -f -a "copy" -d 'Copy every notice, attempt and run of one journal into another, SQLite or PostgreSQL either way; refused, with nothing written, where the two record a notice differently'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand journal; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand completions" -s h -l help -d 'Print help'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand completions" -s V -l version -d 'Print version'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand man" -l install -d 'Write every page into DIR/man1, where `man avatar-cli` finds them [default: $XDG_DATA_HOME/man, else ~/.local/share/man]' -r -F
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand man" -s h -l help -d 'Print help'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand man" -s V -l version -d 'Print version'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand help; and not __fish_seen_subcommand_from send batch validate history sandbox doctor config journal completions man help" -f -a "send" -d 'Send a notice for one or more policies given on the command line'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand help; and not __fish_seen_subcommand_from send batch validate history sandbox doctor config journal completions man help" -f -a "batch" -d 'Send a notice for every row of a CSV, JSON Lines or workbook file'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand help; and not __fish_seen_subcommand_from send batch validate history sandbox doctor config journal completions man help" -f -a "validate" -d 'Check input offline: send nothing, write no journal'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand help; and not __fish_seen_subcommand_from send batch validate history sandbox doctor config journal completions man help" -f -a "history" -d 'Show what the journal recorded'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand help; and not __fish_seen_subcommand_from send batch validate history sandbox doctor config journal completions man help" -f -a "sandbox" -d 'Run a local Avatar simulator (loopback only) for rehearsals, demos and tests'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand help; and not __fish_seen_subcommand_from send batch validate history sandbox doctor config journal completions man help" -f -a "doctor" -d 'Check settings, the platform\'s reachability, the clock and the journal; send nothing'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand help; and not __fish_seen_subcommand_from send batch validate history sandbox doctor config journal completions man help" -f -a "config" -d 'Write a commented config file, show every setting and where it came from, or say where the file is looked for'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand help; and not __fish_seen_subcommand_from send batch validate history sandbox doctor config journal completions man help" -f -a "journal" -d 'Look after the journal: what it holds, a copy while runs write, old bodies dropped, a desk\'s history moved between SQLite and PostgreSQL'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand help; and not __fish_seen_subcommand_from send batch validate history sandbox doctor config journal completions man help" -f -a "completions" -d 'Print a completion script'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand help; and not __fish_seen_subcommand_from send batch validate history sandbox doctor config journal completions man help" -f -a "man" -d 'Print a manual page (roff), of avatar-cli or of one command, or install them all'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand help; and not __fish_seen_subcommand_from send batch validate history sandbox doctor config journal completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "init" -d 'Write a commented config file to fill in; an existing file is never overwritten'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "show" -d 'Print every setting a run would use, with its value and where it came from'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "path" -d 'Print where the config file is looked for, and whether it is there'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand help; and __fish_seen_subcommand_from journal" -f -a "stats" -d 'Count notices per platform and channel, by state, with the oldest and newest, and the journal\'s size'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand help; and __fish_seen_subcommand_from journal" -f -a "backup" -d 'Copy the journal to FILE, consistent even while other runs write to it'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand help; and __fish_seen_subcommand_from journal" -f -a "prune" -d 'Drop the request and answer bodies of attempts before a date; every notice and attempt stays'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand help; and __fish_seen_subcommand_from journal" -f -a "copy" -d 'Copy every notice, attempt and run of one journal into another, SQLite or PostgreSQL either way; refused, with nothing written, where the two record a notice differently'
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand history" -f -a "show\t''
runs\t''"
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand completions" -f -a "bash\t''
elvish\t''
fish\t''
powershell\t''
zsh\t''"
complete -c avatar-cli -n "__fish_avatar_cli_using_subcommand man" -f -a "send\t''
batch\t''
validate\t''
history\t''
sandbox\t''
doctor\t''
config\t''
journal\t''
completions\t''
man\t''"
