# dlicli's fish completion: one run of dlicli per TAB. The condition asks dlicli for the values and
# keeps them; the arguments are what it kept. No values (a path option, a free value): the condition
# fails and fish completes file names.
function __dlicli_complete
    set -g __dlicli_values (env _DLICLI_COMPLETE=complete_fish _TYPER_COMPLETE_FISH_ACTION=get-args _TYPER_COMPLETE_ARGS=(commandline -cp) dlicli | string match -v -- '')
    set -q __dlicli_values[1]
end
complete --command dlicli --no-files --condition __dlicli_complete --arguments '$__dlicli_values'
