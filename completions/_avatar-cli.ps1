
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'avatar-cli' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'avatar-cli'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'avatar-cli' {
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Which platform to call [env: AVATAR_ENV] [default: the config''s env, else test]')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Which platform to call [env: AVATAR_ENV] [default: the config''s env, else test]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'scheme://host[:port][/prefix] of the platform; the 5.30 path is appended [env: AVATAR_BASE_URL]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'TOML config file [env: AVATAR_CONFIG] [default: <config dir>/avatar-cli/config.toml]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of results on stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of results on stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR is honoured) [default: auto]')
            [CompletionResult]::new('--policy-source', '--policy-source', [CompletionResultType]::ParameterName, 'Channel code the insurer assigned (head.policySource) [env: AVATAR_POLICY_SOURCE]')
            [CompletionResult]::new('--channel', '--channel', [CompletionResultType]::ParameterName, 'Channel code the insurer assigned (head.policySource) [env: AVATAR_POLICY_SOURCE]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds allowed per HTTP request, fractions allowed: from 0.001 to 3600 [default: 30]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Extra attempts for a notice that got no usable answer, 0 to 10 [default: 3]')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Extra trusted CA certificate (PEM) for a private test platform')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Extra HTTP header, ''Name: value'' or ''Name: @FILE'' (value read from FILE); repeatable')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Extra HTTP header, ''Name: value'' or ''Name: @FILE'' (value read from FILE); repeatable')
            [CompletionResult]::new('--journal', '--journal', [CompletionResultType]::ParameterName, 'Journal of everything sent: a SQLite file, or a PostgreSQL database as postgres://USER@HOST:PORT/DATABASE [env: AVATAR_JOURNAL] [default: <state dir>/avatar-cli/journal.sqlite3]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as --output json (JSON Lines on stdout); the later of the two wins')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print request and response bodies on stderr (header values redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print request and response bodies on stderr (header values redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--no-journal', '--no-journal', [CompletionResultType]::ParameterName, 'Send without a journal: no skipping, no resume (wins over --journal and AVATAR_JOURNAL)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('send', 'send', [CompletionResultType]::ParameterValue, 'Send a notice for one or more policies given on the command line')
            [CompletionResult]::new('batch', 'batch', [CompletionResultType]::ParameterValue, 'Send a notice for every row of a CSV, JSON Lines or workbook file')
            [CompletionResult]::new('validate', 'validate', [CompletionResultType]::ParameterValue, 'Check input offline: send nothing, write no journal')
            [CompletionResult]::new('history', 'history', [CompletionResultType]::ParameterValue, 'Show what the journal recorded')
            [CompletionResult]::new('sandbox', 'sandbox', [CompletionResultType]::ParameterValue, 'Run a local Avatar simulator (loopback only) for rehearsals, demos and tests')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Check settings, the platform''s reachability, the clock and the journal; send nothing')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Write a commented config file, show every setting and where it came from, or say where the file is looked for')
            [CompletionResult]::new('journal', 'journal', [CompletionResultType]::ParameterValue, 'Look after the journal: what it holds, a copy while runs write, old bodies dropped, a desk''s history moved between SQLite and PostgreSQL')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a completion script')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print a manual page (roff), of avatar-cli or of one command, or install them all')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'avatar-cli;send' {
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'Policy number; repeatable')
            [CompletionResult]::new('--order-no', '--order-no', [CompletionResultType]::ParameterName, 'The policy''s order number (only with a single --policy)')
            [CompletionResult]::new('--amount', '--amount', [CompletionResultType]::ParameterName, 'secondRefundAmount, a decimal with at most two places')
            [CompletionResult]::new('--refund-date', '--refund-date', [CompletionResultType]::ParameterName, 'secondRefundDate, in China Standard Time')
            [CompletionResult]::new('--status', '--status', [CompletionResultType]::ParameterName, 'secondRefundStatus')
            [CompletionResult]::new('--installment', '--installment', [CompletionResultType]::ParameterName, 'installmentList item; repeatable')
            [CompletionResult]::new('--interface-type', '--interface-type', [CompletionResultType]::ParameterName, 'head.interfaceType, if the platform contact says it is not recissionNotice')
            [CompletionResult]::new('--policy-source', '--policy-source', [CompletionResultType]::ParameterName, 'Channel code the insurer assigned (head.policySource) [env: AVATAR_POLICY_SOURCE]')
            [CompletionResult]::new('--channel', '--channel', [CompletionResultType]::ParameterName, 'Channel code the insurer assigned (head.policySource) [env: AVATAR_POLICY_SOURCE]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds allowed per HTTP request, fractions allowed: from 0.001 to 3600 [default: 30]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Extra attempts for a notice that got no usable answer, 0 to 10 [default: 3]')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Extra trusted CA certificate (PEM) for a private test platform')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Extra HTTP header, ''Name: value'' or ''Name: @FILE'' (value read from FILE); repeatable')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Extra HTTP header, ''Name: value'' or ''Name: @FILE'' (value read from FILE); repeatable')
            [CompletionResult]::new('--journal', '--journal', [CompletionResultType]::ParameterName, 'Journal of everything sent: a SQLite file, or a PostgreSQL database as postgres://USER@HOST:PORT/DATABASE [env: AVATAR_JOURNAL] [default: <state dir>/avatar-cli/journal.sqlite3]')
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Which platform to call [env: AVATAR_ENV] [default: the config''s env, else test]')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Which platform to call [env: AVATAR_ENV] [default: the config''s env, else test]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'scheme://host[:port][/prefix] of the platform; the 5.30 path is appended [env: AVATAR_BASE_URL]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'TOML config file [env: AVATAR_CONFIG] [default: <config dir>/avatar-cli/config.toml]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of results on stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of results on stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR is honoured) [default: auto]')
            [CompletionResult]::new('--generate-order-no', '--generate-order-no', [CompletionResultType]::ParameterName, 'Generate an order number where none is given or journaled')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the envelopes that would be sent; send nothing, write no journal')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (production)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (production)')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Send again even if the journal records the notice as accepted (or rejected)')
            [CompletionResult]::new('--retry-rejected', '--retry-rejected', [CompletionResultType]::ParameterName, 'Send again, unchanged, the notices the platform rejected before (without it they are skipped as "rejected earlier", and the run exits 1)')
            [CompletionResult]::new('--no-journal', '--no-journal', [CompletionResultType]::ParameterName, 'Send without a journal: no skipping, no resume (wins over --journal and AVATAR_JOURNAL)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as --output json (JSON Lines on stdout); the later of the two wins')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print request and response bodies on stderr (header values redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print request and response bodies on stderr (header values redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'avatar-cli;batch' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Format of a text file [default: by extension: .jsonl/.ndjson are JSON Lines, else CSV; a workbook is recognised by its content]')
            [CompletionResult]::new('--encoding', '--encoding', [CompletionResultType]::ParameterName, 'Text encoding [default: UTF-8, or GB18030 when the file is not valid UTF-8]')
            [CompletionResult]::new('--column', '--column', [CompletionResultType]::ParameterName, 'Read the column HEADER as FIELD (policyNo, orderNo, secondRefundAmount, ...); repeatable')
            [CompletionResult]::new('--delimiter', '--delimiter', [CompletionResultType]::ParameterName, 'CSV column separator: one character such as '';'', or tab [default: ,]')
            [CompletionResult]::new('--sheet', '--sheet', [CompletionResultType]::ParameterName, 'The workbook''s sheet to read [default: the first]')
            [CompletionResult]::new('--ignore-column', '--ignore-column', [CompletionResultType]::ParameterName, 'Do not warn about the column (or JSON key) NAME, which is no field (matched trimmed, ignoring case); repeatable, and added to the config''s ignore_columns')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Notices in flight at once, 1 to 1024 [default: 4]')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'At most this many requests per second across all workers, 0.01 to 100000')
            [CompletionResult]::new('--report', '--report', [CompletionResultType]::ParameterName, 'Write one row per input row to FILE: CSV, a workbook if it ends in .xlsx, JSON Lines if in .jsonl')
            [CompletionResult]::new('--report-headers', '--report-headers', [CompletionResultType]::ParameterName, 'The language of the report''s headers [default: the input''s: Chinese for a file whose columns are named in Chinese]')
            [CompletionResult]::new('--rejects', '--rejects', [CompletionResultType]::ParameterName, 'With --skip-invalid: the rows set aside, as the input had them, with a problem column (CSV, or a workbook if it ends in .xlsx)')
            [CompletionResult]::new('--interface-type', '--interface-type', [CompletionResultType]::ParameterName, 'head.interfaceType, if the platform contact says it is not recissionNotice')
            [CompletionResult]::new('--policy-source', '--policy-source', [CompletionResultType]::ParameterName, 'Channel code the insurer assigned (head.policySource) [env: AVATAR_POLICY_SOURCE]')
            [CompletionResult]::new('--channel', '--channel', [CompletionResultType]::ParameterName, 'Channel code the insurer assigned (head.policySource) [env: AVATAR_POLICY_SOURCE]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds allowed per HTTP request, fractions allowed: from 0.001 to 3600 [default: 30]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Extra attempts for a notice that got no usable answer, 0 to 10 [default: 3]')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Extra trusted CA certificate (PEM) for a private test platform')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Extra HTTP header, ''Name: value'' or ''Name: @FILE'' (value read from FILE); repeatable')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Extra HTTP header, ''Name: value'' or ''Name: @FILE'' (value read from FILE); repeatable')
            [CompletionResult]::new('--journal', '--journal', [CompletionResultType]::ParameterName, 'Journal of everything sent: a SQLite file, or a PostgreSQL database as postgres://USER@HOST:PORT/DATABASE [env: AVATAR_JOURNAL] [default: <state dir>/avatar-cli/journal.sqlite3]')
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Which platform to call [env: AVATAR_ENV] [default: the config''s env, else test]')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Which platform to call [env: AVATAR_ENV] [default: the config''s env, else test]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'scheme://host[:port][/prefix] of the platform; the 5.30 path is appended [env: AVATAR_BASE_URL]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'TOML config file [env: AVATAR_CONFIG] [default: <config dir>/avatar-cli/config.toml]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of results on stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of results on stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR is honoured) [default: auto]')
            [CompletionResult]::new('--skip-invalid', '--skip-invalid', [CompletionResultType]::ParameterName, 'Send the valid rows and set the invalid ones aside in --rejects FILE (exit 1 at best); without it one invalid row stops the whole file')
            [CompletionResult]::new('--fail-fast', '--fail-fast', [CompletionResultType]::ParameterName, 'After the first rejected, failed or in-doubt notice, start nothing new')
            [CompletionResult]::new('--generate-order-no', '--generate-order-no', [CompletionResultType]::ParameterName, 'Generate an order number where none is given or journaled')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the envelopes that would be sent; send nothing, write no journal')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (production)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (production)')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Send again even if the journal records the notice as accepted (or rejected)')
            [CompletionResult]::new('--retry-rejected', '--retry-rejected', [CompletionResultType]::ParameterName, 'Send again, unchanged, the notices the platform rejected before (without it they are skipped as "rejected earlier", and the run exits 1)')
            [CompletionResult]::new('--no-journal', '--no-journal', [CompletionResultType]::ParameterName, 'Send without a journal: no skipping, no resume (wins over --journal and AVATAR_JOURNAL)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as --output json (JSON Lines on stdout); the later of the two wins')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print request and response bodies on stderr (header values redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print request and response bodies on stderr (header values redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'avatar-cli;validate' {
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'Policy number; repeatable')
            [CompletionResult]::new('--order-no', '--order-no', [CompletionResultType]::ParameterName, 'The policy''s order number (only with a single --policy)')
            [CompletionResult]::new('--amount', '--amount', [CompletionResultType]::ParameterName, 'secondRefundAmount, a decimal with at most two places')
            [CompletionResult]::new('--refund-date', '--refund-date', [CompletionResultType]::ParameterName, 'secondRefundDate, in China Standard Time')
            [CompletionResult]::new('--status', '--status', [CompletionResultType]::ParameterName, 'secondRefundStatus')
            [CompletionResult]::new('--installment', '--installment', [CompletionResultType]::ParameterName, 'installmentList item; repeatable')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Format of a text file [default: by extension: .jsonl/.ndjson are JSON Lines, else CSV; a workbook is recognised by its content]')
            [CompletionResult]::new('--encoding', '--encoding', [CompletionResultType]::ParameterName, 'Text encoding [default: UTF-8, or GB18030 when the file is not valid UTF-8]')
            [CompletionResult]::new('--column', '--column', [CompletionResultType]::ParameterName, 'Read the column HEADER as FIELD (policyNo, orderNo, secondRefundAmount, ...); repeatable')
            [CompletionResult]::new('--delimiter', '--delimiter', [CompletionResultType]::ParameterName, 'CSV column separator: one character such as '';'', or tab [default: ,]')
            [CompletionResult]::new('--sheet', '--sheet', [CompletionResultType]::ParameterName, 'The workbook''s sheet to read [default: the first]')
            [CompletionResult]::new('--ignore-column', '--ignore-column', [CompletionResultType]::ParameterName, 'Do not warn about the column (or JSON key) NAME, which is no field (matched trimmed, ignoring case); repeatable, and added to the config''s ignore_columns')
            [CompletionResult]::new('--fix', '--fix', [CompletionResultType]::ParameterName, 'Write a corrected copy to OUT (.csv or .xlsx), then check it: exit 0 when OUT has no errors left, 2 otherwise')
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Which platform to call [env: AVATAR_ENV] [default: the config''s env, else test]')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Which platform to call [env: AVATAR_ENV] [default: the config''s env, else test]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'scheme://host[:port][/prefix] of the platform; the 5.30 path is appended [env: AVATAR_BASE_URL]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'TOML config file [env: AVATAR_CONFIG] [default: <config dir>/avatar-cli/config.toml]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of results on stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of results on stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR is honoured) [default: auto]')
            [CompletionResult]::new('--generate-order-no', '--generate-order-no', [CompletionResultType]::ParameterName, 'Order numbers will be generated: a missing one is not an error')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as --output json (JSON Lines on stdout); the later of the two wins')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print request and response bodies on stderr (header values redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print request and response bodies on stderr (header values redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'avatar-cli;history' {
            [CompletionResult]::new('--run', '--run', [CompletionResultType]::ParameterName, 'Only what one run did: an id from `history runs`, or last')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'Only this policy')
            [CompletionResult]::new('--policy-source', '--policy-source', [CompletionResultType]::ParameterName, 'Only this channel (head.policySource)')
            [CompletionResult]::new('--channel', '--channel', [CompletionResultType]::ParameterName, 'Only this channel (head.policySource)')
            [CompletionResult]::new('--environment', '--environment', [CompletionResultType]::ParameterName, 'Only this environment: a name from the config or a base URL. `--env` and `--base-url` (or AVATAR_ENV and AVATAR_BASE_URL) filter too; the config''s default env does not. Hidden: the old spelling, kept for scripts')
            [CompletionResult]::new('--outcome', '--outcome', [CompletionResultType]::ParameterName, 'Only notices whose latest state is this (accepted, rejected, failed, inDoubt, notSent)')
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'From this date or time (yyyy-MM-dd, yyyy-MM-dd HH:mm:ss in China Standard Time, RFC 3339, or today, yesterday, 30m, 1h, 7d)')
            [CompletionResult]::new('--until', '--until', [CompletionResultType]::ParameterName, 'Up to this date or time (a bare date includes that whole day)')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'At most this many rows, newest first; 0 for all [default: 50 on a terminal, else all]')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Write the export to FILE instead of stdout: --output csv, jsonl or xlsx, else the one FILE''s extension names')
            [CompletionResult]::new('--journal', '--journal', [CompletionResultType]::ParameterName, 'Journal of everything sent: a SQLite file, or a PostgreSQL database as postgres://USER@HOST:PORT/DATABASE [env: AVATAR_JOURNAL] [default: <state dir>/avatar-cli/journal.sqlite3]')
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Which platform to call [env: AVATAR_ENV] [default: the config''s env, else test]')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Which platform to call [env: AVATAR_ENV] [default: the config''s env, else test]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'scheme://host[:port][/prefix] of the platform; the 5.30 path is appended [env: AVATAR_BASE_URL]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'TOML config file [env: AVATAR_CONFIG] [default: <config dir>/avatar-cli/config.toml]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of results on stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of results on stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR is honoured) [default: auto]')
            [CompletionResult]::new('--attempts', '--attempts', [CompletionResultType]::ParameterName, 'One row per attempt instead of one per notice')
            [CompletionResult]::new('--wide', '--wide', [CompletionResultType]::ParameterName, 'On a terminal, every column whole, however wide the table (else it is fitted to the terminal''s width)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as --output json (JSON Lines on stdout); the later of the two wins')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print request and response bodies on stderr (header values redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print request and response bodies on stderr (header values redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'avatar-cli;sandbox' {
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Port on 127.0.0.1 [default: a free one]')
            [CompletionResult]::new('--latency-ms', '--latency-ms', [CompletionResultType]::ParameterName, 'Delay before every answer')
            [CompletionResult]::new('--fail-rate', '--fail-rate', [CompletionResultType]::ParameterName, 'Share of requests answered HTTP 503, 0.0 to 1.0')
            [CompletionResult]::new('--reject', '--reject', [CompletionResultType]::ParameterName, 'Answer dealCode "0" for policy numbers matching this glob (* and ?); repeatable')
            [CompletionResult]::new('--seed', '--seed', [CompletionResultType]::ParameterName, 'Seed for the random faults, so a rehearsal can be repeated')
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Which platform to call [env: AVATAR_ENV] [default: the config''s env, else test]')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Which platform to call [env: AVATAR_ENV] [default: the config''s env, else test]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'scheme://host[:port][/prefix] of the platform; the 5.30 path is appended [env: AVATAR_BASE_URL]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'TOML config file [env: AVATAR_CONFIG] [default: <config dir>/avatar-cli/config.toml]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of results on stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of results on stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR is honoured) [default: auto]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as --output json (JSON Lines on stdout); the later of the two wins')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print request and response bodies on stderr (header values redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print request and response bodies on stderr (header values redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'avatar-cli;doctor' {
            [CompletionResult]::new('--policy-source', '--policy-source', [CompletionResultType]::ParameterName, 'Channel code the insurer assigned (head.policySource) [env: AVATAR_POLICY_SOURCE]')
            [CompletionResult]::new('--channel', '--channel', [CompletionResultType]::ParameterName, 'Channel code the insurer assigned (head.policySource) [env: AVATAR_POLICY_SOURCE]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds allowed per HTTP request, fractions allowed: from 0.001 to 3600 [default: 30]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Extra attempts for a notice that got no usable answer, 0 to 10 [default: 3]')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Extra trusted CA certificate (PEM) for a private test platform')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Extra HTTP header, ''Name: value'' or ''Name: @FILE'' (value read from FILE); repeatable')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Extra HTTP header, ''Name: value'' or ''Name: @FILE'' (value read from FILE); repeatable')
            [CompletionResult]::new('--journal', '--journal', [CompletionResultType]::ParameterName, 'Journal of everything sent: a SQLite file, or a PostgreSQL database as postgres://USER@HOST:PORT/DATABASE [env: AVATAR_JOURNAL] [default: <state dir>/avatar-cli/journal.sqlite3]')
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Which platform to call [env: AVATAR_ENV] [default: the config''s env, else test]')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Which platform to call [env: AVATAR_ENV] [default: the config''s env, else test]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'scheme://host[:port][/prefix] of the platform; the 5.30 path is appended [env: AVATAR_BASE_URL]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'TOML config file [env: AVATAR_CONFIG] [default: <config dir>/avatar-cli/config.toml]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of results on stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of results on stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR is honoured) [default: auto]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as --output json (JSON Lines on stdout); the later of the two wins')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print request and response bodies on stderr (header values redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print request and response bodies on stderr (header values redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'avatar-cli;config' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Write a commented config file to fill in; an existing file is never overwritten')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print every setting a run would use, with its value and where it came from')
            [CompletionResult]::new('path', 'path', [CompletionResultType]::ParameterValue, 'Print where the config file is looked for, and whether it is there')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'avatar-cli;config;init' {
            [CompletionResult]::new('--path', '--path', [CompletionResultType]::ParameterName, 'Write this file [default: where the config is looked for: --config, AVATAR_CONFIG, else <config dir>/avatar-cli/config.toml]')
            [CompletionResult]::new('--policy-source', '--policy-source', [CompletionResultType]::ParameterName, 'The channel code the insurer assigned you, written in [default: left for you to fill in]')
            [CompletionResult]::new('--channel', '--channel', [CompletionResultType]::ParameterName, 'The channel code the insurer assigned you, written in [default: left for you to fill in]')
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Which platform to call [env: AVATAR_ENV] [default: the config''s env, else test]')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Which platform to call [env: AVATAR_ENV] [default: the config''s env, else test]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'scheme://host[:port][/prefix] of the platform; the 5.30 path is appended [env: AVATAR_BASE_URL]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'TOML config file [env: AVATAR_CONFIG] [default: <config dir>/avatar-cli/config.toml]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of results on stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of results on stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR is honoured) [default: auto]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as --output json (JSON Lines on stdout); the later of the two wins')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print request and response bodies on stderr (header values redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print request and response bodies on stderr (header values redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'avatar-cli;config;show' {
            [CompletionResult]::new('--policy-source', '--policy-source', [CompletionResultType]::ParameterName, 'Channel code the insurer assigned (head.policySource) [env: AVATAR_POLICY_SOURCE]')
            [CompletionResult]::new('--channel', '--channel', [CompletionResultType]::ParameterName, 'Channel code the insurer assigned (head.policySource) [env: AVATAR_POLICY_SOURCE]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds allowed per HTTP request, fractions allowed: from 0.001 to 3600 [default: 30]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Extra attempts for a notice that got no usable answer, 0 to 10 [default: 3]')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Extra trusted CA certificate (PEM) for a private test platform')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Extra HTTP header, ''Name: value'' or ''Name: @FILE'' (value read from FILE); repeatable')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Extra HTTP header, ''Name: value'' or ''Name: @FILE'' (value read from FILE); repeatable')
            [CompletionResult]::new('--journal', '--journal', [CompletionResultType]::ParameterName, 'Journal of everything sent: a SQLite file, or a PostgreSQL database as postgres://USER@HOST:PORT/DATABASE [env: AVATAR_JOURNAL] [default: <state dir>/avatar-cli/journal.sqlite3]')
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Which platform to call [env: AVATAR_ENV] [default: the config''s env, else test]')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Which platform to call [env: AVATAR_ENV] [default: the config''s env, else test]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'scheme://host[:port][/prefix] of the platform; the 5.30 path is appended [env: AVATAR_BASE_URL]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'TOML config file [env: AVATAR_CONFIG] [default: <config dir>/avatar-cli/config.toml]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of results on stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of results on stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR is honoured) [default: auto]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as --output json (JSON Lines on stdout); the later of the two wins')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print request and response bodies on stderr (header values redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print request and response bodies on stderr (header values redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'avatar-cli;config;path' {
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Which platform to call [env: AVATAR_ENV] [default: the config''s env, else test]')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Which platform to call [env: AVATAR_ENV] [default: the config''s env, else test]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'scheme://host[:port][/prefix] of the platform; the 5.30 path is appended [env: AVATAR_BASE_URL]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'TOML config file [env: AVATAR_CONFIG] [default: <config dir>/avatar-cli/config.toml]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of results on stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of results on stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR is honoured) [default: auto]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as --output json (JSON Lines on stdout); the later of the two wins')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print request and response bodies on stderr (header values redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print request and response bodies on stderr (header values redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'avatar-cli;config;help' {
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Write a commented config file to fill in; an existing file is never overwritten')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print every setting a run would use, with its value and where it came from')
            [CompletionResult]::new('path', 'path', [CompletionResultType]::ParameterValue, 'Print where the config file is looked for, and whether it is there')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'avatar-cli;config;help;init' {
            break
        }
        'avatar-cli;config;help;show' {
            break
        }
        'avatar-cli;config;help;path' {
            break
        }
        'avatar-cli;config;help;help' {
            break
        }
        'avatar-cli;journal' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('stats', 'stats', [CompletionResultType]::ParameterValue, 'Count notices per platform and channel, by state, with the oldest and newest, and the journal''s size')
            [CompletionResult]::new('backup', 'backup', [CompletionResultType]::ParameterValue, 'Copy the journal to FILE, consistent even while other runs write to it')
            [CompletionResult]::new('prune', 'prune', [CompletionResultType]::ParameterValue, 'Drop the request and answer bodies of attempts before a date; every notice and attempt stays')
            [CompletionResult]::new('copy', 'copy', [CompletionResultType]::ParameterValue, 'Copy every notice, attempt and run of one journal into another, SQLite or PostgreSQL either way; refused, with nothing written, where the two record a notice differently')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'avatar-cli;journal;stats' {
            [CompletionResult]::new('--journal', '--journal', [CompletionResultType]::ParameterName, 'Journal of everything sent: a SQLite file, or a PostgreSQL database as postgres://USER@HOST:PORT/DATABASE [env: AVATAR_JOURNAL] [default: <state dir>/avatar-cli/journal.sqlite3]')
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Which platform to call [env: AVATAR_ENV] [default: the config''s env, else test]')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Which platform to call [env: AVATAR_ENV] [default: the config''s env, else test]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'scheme://host[:port][/prefix] of the platform; the 5.30 path is appended [env: AVATAR_BASE_URL]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'TOML config file [env: AVATAR_CONFIG] [default: <config dir>/avatar-cli/config.toml]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of results on stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of results on stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR is honoured) [default: auto]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as --output json (JSON Lines on stdout); the later of the two wins')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print request and response bodies on stderr (header values redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print request and response bodies on stderr (header values redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'avatar-cli;journal;backup' {
            [CompletionResult]::new('--journal', '--journal', [CompletionResultType]::ParameterName, 'Journal of everything sent: a SQLite file, or a PostgreSQL database as postgres://USER@HOST:PORT/DATABASE [env: AVATAR_JOURNAL] [default: <state dir>/avatar-cli/journal.sqlite3]')
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Which platform to call [env: AVATAR_ENV] [default: the config''s env, else test]')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Which platform to call [env: AVATAR_ENV] [default: the config''s env, else test]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'scheme://host[:port][/prefix] of the platform; the 5.30 path is appended [env: AVATAR_BASE_URL]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'TOML config file [env: AVATAR_CONFIG] [default: <config dir>/avatar-cli/config.toml]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of results on stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of results on stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR is honoured) [default: auto]')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace FILE if it exists')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as --output json (JSON Lines on stdout); the later of the two wins')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print request and response bodies on stderr (header values redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print request and response bodies on stderr (header values redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'avatar-cli;journal;prune' {
            [CompletionResult]::new('--bodies-before', '--bodies-before', [CompletionResultType]::ParameterName, 'Drop the bodies of attempts started before this day (yyyy-MM-dd, China Standard Time, as history''s --since); not a day in the future')
            [CompletionResult]::new('--journal', '--journal', [CompletionResultType]::ParameterName, 'Journal of everything sent: a SQLite file, or a PostgreSQL database as postgres://USER@HOST:PORT/DATABASE [env: AVATAR_JOURNAL] [default: <state dir>/avatar-cli/journal.sqlite3]')
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Which platform to call [env: AVATAR_ENV] [default: the config''s env, else test]')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Which platform to call [env: AVATAR_ENV] [default: the config''s env, else test]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'scheme://host[:port][/prefix] of the platform; the 5.30 path is appended [env: AVATAR_BASE_URL]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'TOML config file [env: AVATAR_CONFIG] [default: <config dir>/avatar-cli/config.toml]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of results on stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of results on stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR is honoured) [default: auto]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as --output json (JSON Lines on stdout); the later of the two wins')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print request and response bodies on stderr (header values redacted)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print request and response bodies on stderr (header values redacted)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'avatar-cli;journal;copy' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'avatar-cli;journal;help' {
            [CompletionResult]::new('stats', 'stats', [CompletionResultType]::ParameterValue, 'Count notices per platform and channel, by state, with the oldest and newest, and the journal''s size')
            [CompletionResult]::new('backup', 'backup', [CompletionResultType]::ParameterValue, 'Copy the journal to FILE, consistent even while other runs write to it')
            [CompletionResult]::new('prune', 'prune', [CompletionResultType]::ParameterValue, 'Drop the request and answer bodies of attempts before a date; every notice and attempt stays')
            [CompletionResult]::new('copy', 'copy', [CompletionResultType]::ParameterValue, 'Copy every notice, attempt and run of one journal into another, SQLite or PostgreSQL either way; refused, with nothing written, where the two record a notice differently')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'avatar-cli;journal;help;stats' {
            break
        }
        'avatar-cli;journal;help;backup' {
            break
        }
        'avatar-cli;journal;help;prune' {
            break
        }
        'avatar-cli;journal;help;copy' {
            break
        }
        'avatar-cli;journal;help;help' {
            break
        }
        'avatar-cli;completions' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'avatar-cli;man' {
            [CompletionResult]::new('--install', '--install', [CompletionResultType]::ParameterName, 'Write every page into DIR/man1, where `man avatar-cli` finds them [default: $XDG_DATA_HOME/man, else ~/.local/share/man]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'avatar-cli;help' {
            [CompletionResult]::new('send', 'send', [CompletionResultType]::ParameterValue, 'Send a notice for one or more policies given on the command line')
            [CompletionResult]::new('batch', 'batch', [CompletionResultType]::ParameterValue, 'Send a notice for every row of a CSV, JSON Lines or workbook file')
            [CompletionResult]::new('validate', 'validate', [CompletionResultType]::ParameterValue, 'Check input offline: send nothing, write no journal')
            [CompletionResult]::new('history', 'history', [CompletionResultType]::ParameterValue, 'Show what the journal recorded')
            [CompletionResult]::new('sandbox', 'sandbox', [CompletionResultType]::ParameterValue, 'Run a local Avatar simulator (loopback only) for rehearsals, demos and tests')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Check settings, the platform''s reachability, the clock and the journal; send nothing')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Write a commented config file, show every setting and where it came from, or say where the file is looked for')
            [CompletionResult]::new('journal', 'journal', [CompletionResultType]::ParameterValue, 'Look after the journal: what it holds, a copy while runs write, old bodies dropped, a desk''s history moved between SQLite and PostgreSQL')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a completion script')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print a manual page (roff), of avatar-cli or of one command, or install them all')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'avatar-cli;help;send' {
            break
        }
        'avatar-cli;help;batch' {
            break
        }
        'avatar-cli;help;validate' {
            break
        }
        'avatar-cli;help;history' {
            break
        }
        'avatar-cli;help;sandbox' {
            break
        }
        'avatar-cli;help;doctor' {
            break
        }
        'avatar-cli;help;config' {
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Write a commented config file to fill in; an existing file is never overwritten')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print every setting a run would use, with its value and where it came from')
            [CompletionResult]::new('path', 'path', [CompletionResultType]::ParameterValue, 'Print where the config file is looked for, and whether it is there')
            break
        }
        'avatar-cli;help;config;init' {
            break
        }
        'avatar-cli;help;config;show' {
            break
        }
        'avatar-cli;help;config;path' {
            break
        }
        'avatar-cli;help;journal' {
            [CompletionResult]::new('stats', 'stats', [CompletionResultType]::ParameterValue, 'Count notices per platform and channel, by state, with the oldest and newest, and the journal''s size')
            [CompletionResult]::new('backup', 'backup', [CompletionResultType]::ParameterValue, 'Copy the journal to FILE, consistent even while other runs write to it')
            [CompletionResult]::new('prune', 'prune', [CompletionResultType]::ParameterValue, 'Drop the request and answer bodies of attempts before a date; every notice and attempt stays')
            [CompletionResult]::new('copy', 'copy', [CompletionResultType]::ParameterValue, 'Copy every notice, attempt and run of one journal into another, SQLite or PostgreSQL either way; refused, with nothing written, where the two record a notice differently')
            break
        }
        'avatar-cli;help;journal;stats' {
            break
        }
        'avatar-cli;help;journal;backup' {
            break
        }
        'avatar-cli;help;journal;prune' {
            break
        }
        'avatar-cli;help;journal;copy' {
            break
        }
        'avatar-cli;help;completions' {
            break
        }
        'avatar-cli;help;man' {
            break
        }
        'avatar-cli;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
