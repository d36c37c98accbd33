/**
 * Shell completion. The scripts hand the words typed after `ferry ctl` to `ferry ctl __complete`, which prints the
 * candidates one per line (connector and context names included), so the three shells share one implementation;
 * when it prints nothing, the shell completes file names (for `-f`, `--ca-file`).
 */
export const SHELLS = ['bash', 'zsh', 'fish'] as const
export type Shell = (typeof SHELLS)[number]

const TOP = 'standalone distributed plugins ctl'

export function completionScript(shell: Shell): string {
  switch (shell) {
    case 'bash':
      return `# ferry completion for bash: source <(ferry ctl completion bash)
_ferry_complete() {
  local i ctl=-1
  for ((i = 1; i < COMP_CWORD; i++)); do
    if [[ \${COMP_WORDS[i]} == ctl ]]; then ctl=$i; break; fi
  done
  if ((ctl < 0)); then
    if ((COMP_CWORD == 1)); then COMPREPLY=($(compgen -W "${TOP}" -- "\${COMP_WORDS[COMP_CWORD]}")); fi
    return
  fi
  local IFS=$'\\n'
  COMPREPLY=($("\${COMP_WORDS[0]}" ctl __complete "\${COMP_WORDS[@]:ctl+1:COMP_CWORD-ctl}" 2>/dev/null))
}
complete -o default -F _ferry_complete ferry
`
    case 'zsh':
      return `#compdef ferry
# ferry completion for zsh: source <(ferry ctl completion zsh), or save it as _ferry in a directory of $fpath
_ferry() {
  local -a candidates
  if (( CURRENT == 2 )); then
    candidates=(${TOP})
    compadd -a candidates
    return
  fi
  if [[ \${words[2]} != ctl ]]; then _files; return; fi
  candidates=("\${(@f)$(\${words[1]} ctl __complete "\${(@)words[3,CURRENT]}" 2>/dev/null)}")
  if (( \${#candidates} )) && [[ -n \${candidates[1]} ]]; then compadd -a candidates; else _files; fi
}
if (( $+functions[compdef] )); then compdef _ferry ferry; fi
`
    case 'fish':
      return `# ferry completion for fish: ferry ctl completion fish | source
function __ferry_complete
    set -l tokens (commandline -opc)
    set -l current (commandline -ct)
    if test (count $tokens) -eq 1
        printf '%s\\n' ${TOP}
        return
    end
    if test "$tokens[2]" = ctl
        $tokens[1] ctl __complete $tokens[3..-1] "$current" 2>/dev/null
    end
end
complete -c ferry -a '(__ferry_complete)'
`
  }
}
