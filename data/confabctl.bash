# bash completion for confabctl                              -*- shell-script -*-

_confabctl()
{
    local cur prev words cword
    _init_completion || return

    local global="--server --json --help"
    local groups="login logout users sessions broadcast stats audit backup"
    local i group="" command=""

    # The command is the first word that is not an option (or an option's value).
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
            --server | -s) ((i++)) ;;
            -*) ;;
            *)
                if [[ -z $group ]]; then
                    group=${words[i]}
                elif [[ -z $command && ( $group == users || $group == sessions ) ]]; then
                    command=${words[i]}
                fi
                ;;
        esac
    done

    case $prev in
        --server | -s)
            return
            ;;
        --role)
            COMPREPLY=($(compgen -W "user admin" -- "$cur"))
            return
            ;;
        --action)
            COMPREPLY=($(compgen -W "user_create user_update sessions_kill broadcast denied" \
                -- "$cur"))
            return
            ;;
        --username | -u | --user | --actor | --target | --query | -q | --department | -d | \
            --limit | --offset | --trust | --device-name | --display-name | -n | --email | -e)
            return
            ;;
    esac

    local options=""
    case $group in
        "")
            COMPREPLY=($(compgen -W "$global $groups" -- "$cur"))
            return
            ;;
        users)
            if [[ -z $command ]]; then
                COMPREPLY=($(compgen -W "list show add disable enable set-role reset-password grant" \
                    -- "$cur"))
                return
            fi
            case $command in
                list) options="--query --limit --offset" ;;
                add) options="--display-name --email --role --password-stdin" ;;
                reset-password) options="--password-stdin" ;;
                grant) options="--revoke" ;;
                set-role) [[ $cur != -* ]] && options="user admin" ;;
            esac
            if [[ $command == grant && $cur != -* ]]; then
                options="$options broadcast"
            fi
            ;;
        sessions)
            if [[ -z $command ]]; then
                COMPREPLY=($(compgen -W "list kill" -- "$cur"))
                return
            fi
            [[ $command == list ]] && options="--user --limit --offset"
            ;;
        login) options="--username --password-stdin --trust --device-name" ;;
        broadcast) options="--all --department --user" ;;
        audit) options="--actor --action --target --limit --offset --follow --interval" ;;
    esac
    COMPREPLY=($(compgen -W "$options $global" -- "$cur"))
} &&
    complete -F _confabctl confabctl
