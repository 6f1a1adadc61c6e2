# What zsh completes at the end of each LINE, as a person at a terminal gets it: an interactive
# zsh on a pseudo-terminal (zpty), completion set up as the README says (~/.zfunc on fpath
# before compinit), the line typed and TAB pressed. Prints each candidate on a line of its own,
# then <<end>>, for each LINE.
#
#     zsh -f complete.zsh LINE...

if [[ $1 == --inside ]]; then
    # Sourced by the zsh on the pseudo-terminal.
    fpath=(~/.zfunc $fpath)
    autoload -U compinit && compinit -u -D
    bindkey '^I' complete-word
    zstyle ':completion:*' insert-tab false
    # Marks before and after the candidates; after them the shell leaves, with no list shown.
    completion_mark() { print -rn -- '<<mark>>' }
    compprefuncs=(completion_mark)
    comppostfuncs=(completion_mark exit)
    # Every candidate the completion functions add, printed as it is added. Calls that only
    # compute (-O, -A, -D) add nothing.
    compadd() {
        if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then
            builtin compadd "$@"
            return
        fi
        local -a added
        builtin compadd -A added "$@"
        local one
        for one in $added; do
            print -r -- "<<candidate:$one>>"
        done
        builtin compadd "$@"
    }
    return
fi

zmodload zsh/zpty
local script=${0:A} line seen chunk
for line in "$@"; do
    zpty completing zsh -f -i
    zpty -w completing "source ${(q)script} --inside"
    zpty -w -n completing "$line"$'\t'
    seen=
    while zpty -r completing chunk; do
        seen+=$chunk
        [[ $seen == *'<<mark>>'*'<<mark>>'* ]] && break
    done
    zpty -d completing
    if [[ $seen != *'<<mark>>'*'<<mark>>'* ]]; then
        print -r -- "zsh never completed: ${(q+)seen}" >&2
        exit 1
    fi
    seen=${${seen#*'<<mark>>'}%%'<<mark>>'*}
    local -a found=(${(M)${(f)seen//$'\r'/}:#'<<candidate:'*'>>'})
    (( $#found )) && print -rl -- ${${found#'<<candidate:'}%'>>'}
    print -r -- '<<end>>'
done
