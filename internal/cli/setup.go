package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/skip2/go-qrcode"

	"github.com/tongban/tongban/internal/apperr"
	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/codes"
	"github.com/tongban/tongban/internal/config"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/site"
	"github.com/tongban/tongban/internal/vault"
)

// setupFlags are the values of `tongban setup`, each also a TONGBAN_*
// variable (the flag wins). The password is never a flag: it is read from
// standard input.
type setupFlags struct {
	centreName, centreAddress, centrePhone, hostOrg, contact, icp, adminUsername, adminName string
}

func (lf *localFlags) setupFields() []struct {
	name, zh, en string
	p            *string
	required     bool
} {
	s := &lf.setup
	return []struct {
		name, zh, en string
		p            *string
		required     bool
	}{
		{"centre-name", "服务中心名称", "Service centre name", &s.centreName, true},
		{"centre-address", "服务中心地址", "Address", &s.centreAddress, false},
		{"centre-phone", "服务中心电话", "Telephone", &s.centrePhone, false},
		{"host-org", "主办单位", "Run by (主办单位)", &s.hostOrg, false},
		{"contact", "联系方式", "Contact", &s.contact, false},
		{"icp", "ICP备案号", "ICP filing number", &s.icp, false},
		{"admin-username", "管理员用户名", "Administrator's user name", &s.adminUsername, true},
		{"admin-name", "管理员姓名", "Administrator's name", &s.adminName, true},
	}
}

func setupFlagSet(fs *flag.FlagSet, lf *localFlags) {
	for _, f := range lf.setupFields() {
		fs.StringVar(f.p, f.name, "", f.zh+" / "+f.en+" (env "+config.EnvName(f.name)+")")
	}
}

// runSetup: `tongban setup` makes an empty installation usable — the root
// region and its tree, the service centre's identity and the first
// administrator with a second factor — in one transaction (site.Run). Every
// value is a flag or TONGBAN_* variable; when a required one is missing,
// it asks for each value not given, on standard input (a terminal, or a
// pipe line by line). The password always comes from standard input. On a
// database already set up it changes nothing: exit 0 when what is given
// agrees with what is stored, 1 naming the first field that differs.
func runSetup(ctx context.Context, e *Env, cfg *config.Config, lf *localFlags, args []string) error {
	if len(args) != 0 {
		fmt.Fprintln(e.Stderr, "usage: tongban setup [--region CODE] [--centre-name NAME] … (tongban setup -h); the password on standard input")
		return errUsage
	}
	if cfg.DataKeyFile == "" {
		return fmt.Errorf("give --data-key-file (or TONGBAN_DATA_KEY_FILE); create the key with: (umask 077; head -c 32 /dev/urandom | base64 > /etc/tongban/data.key)")
	}
	key, err := vault.LoadKeyFile(cfg.DataKeyFile)
	if err != nil {
		return err
	}
	v, err := vault.New(key)
	if err != nil {
		return err
	}
	fields := lf.setupFields()
	for _, f := range fields {
		if *f.p == "" {
			*f.p = e.Getenv(config.EnvName(f.name))
		}
	}
	region := ""
	if cfg.RegionGiven {
		region = cfg.Region
	}
	d, err := db.Open(ctx, cfg.DB)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Migrate(ctx); err != nil {
		return err
	}
	ids := identity.NewService(d, v)
	s := &site.Setup{Info: site.Info{Region: region, CentreName: lf.setup.centreName, CentreAddress: lf.setup.centreAddress,
		CentrePhone: lf.setup.centrePhone, HostOrg: lf.setup.hostOrg, Contact: lf.setup.contact, ICP: lf.setup.icp},
		AdminUsername: lf.setup.adminUsername, AdminName: lf.setup.adminName}
	stored, admins, err := site.State(ctx, d, ids)
	if err != nil {
		return err
	}
	if stored.Region != "" || admins > 0 {
		if err := site.CheckAgain(stored, s); err != nil {
			return err
		}
		if s.AdminUsername != "" {
			if u, err := ids.UserByUsername(ctx, s.AdminUsername); err != nil || !u.Has(identity.RoleAdmin) {
				return apperr.E(apperr.Conflict, "setup.differs", "field", "admin-username", "stored", "", "given", s.AdminUsername)
			}
		}
		fmt.Fprintf(e.Stdout, "已安装（%s %s，%s），未做任何更改。\nAlready set up (%s %s, %s); nothing changed.\n",
			stored.Region, stored.RegionName, stored.CentreName, stored.Region, stored.RegionName, stored.CentreName)
		return nil
	}
	in := bufio.NewReader(e.Stdin)
	tty, isTTY := terminal(e.Stdin)
	if !isTTY {
		tty = nil
	}
	interactive := s.Region == ""
	for _, f := range fields {
		interactive = interactive || (f.required && *f.p == "")
	}
	if interactive {
		p := &prompter{in: in, out: e.Stderr}
		fmt.Fprintln(e.Stderr, "通办安装：设置本地区、服务中心和首个管理员（直接回车跳过可选项）。\nTongban setup: the region, the service centre and the first administrator (Enter skips an optional one).")
		if s.Region == "" {
			if s.Region, err = p.region(); err != nil {
				return err
			}
		}
		for _, f := range fields {
			if *f.p == "" {
				opt := ""
				if !f.required {
					opt = "（可选 optional）"
				}
				if *f.p, err = p.line(f.zh + " " + f.en + opt + ": "); err != nil {
					return err
				}
			}
		}
		s.CentreName, s.CentreAddress, s.CentrePhone = lf.setup.centreName, lf.setup.centreAddress, lf.setup.centrePhone
		s.HostOrg, s.Contact, s.ICP = lf.setup.hostOrg, lf.setup.contact, lf.setup.icp
		s.AdminUsername, s.AdminName = lf.setup.adminUsername, lf.setup.adminName
		// Everything but the password is checked before it is asked.
		s.AdminPassword = "placeholder-long-enough"
		if err := s.Validate(); err != nil {
			return err
		}
		if s.AdminPassword, err = p.password(tty); err != nil {
			return err
		}
	} else {
		line, err := in.ReadString('\n')
		s.AdminPassword = strings.TrimRight(line, "\r\n")
		if s.AdminPassword == "" && err != nil {
			return fmt.Errorf("no password on standard input (echo 'PASSWORD' | tongban setup …)")
		}
	}
	res, err := site.Run(ctx, d, ids, s)
	if err != nil {
		return err
	}
	printSetup(e.Stdout, s, res)
	// The audit log's signing keys, so that serve issues signed checkpoints
	// from its first record (docs/AUDIT.md); kept where they are if present.
	dir := cfg.Or(cfg.AuditKeys, "audit-keys")
	if _, err := audit.LoadKeys(dir, cfg.AuditOrigin, true); err != nil {
		return fmt.Errorf("audit keys in %s: %w", dir, err)
	}
	fmt.Fprintf(e.Stdout, "审计日志签名密钥 Audit log signing keys: %s\n", dir)
	return nil
}

func printSetup(w io.Writer, s *site.Setup, res *site.Result) {
	name := divisionPath(s.Region)
	fmt.Fprintf(w, "已安装：%s %s（载入 %d 个区划），服务中心：%s。\nSet up: %s %s (%d regions loaded), service centre: %s.\n",
		s.Region, name, res.Regions, s.CentreName, s.Region, name, res.Regions, s.CentreName)
	fmt.Fprintf(w, "管理员 Administrator: %s (%s)\n\n", res.Admin.Username, res.Admin.DisplayName)
	fmt.Fprintln(w, "用身份验证器应用扫描下面的二维码（或输入密钥），登录时须输入其动态验证码。")
	fmt.Fprintln(w, "Scan this QR code with an authenticator app (or type the secret); logins ask for its one-time code.")
	if q, err := qrcode.New(res.Enrolment.URL, qrcode.Low); err == nil {
		fmt.Fprintln(w, q.ToSmallString(false))
	}
	fmt.Fprintf(w, "otpauth URI: %s\n密钥 Secret: %s\n\n", res.Enrolment.URL, res.Enrolment.Secret)
	fmt.Fprintln(w, "恢复码（每个只能用一次，请打印后妥善保管，不会再次显示）：")
	fmt.Fprintln(w, "Recovery codes (each works once; print them and keep them safe — they are not shown again):")
	for _, c := range res.RecoveryCodes {
		fmt.Fprintf(w, "  %s\n", c)
	}
}

// prompter asks on out and reads answers line by line from in.
type prompter struct {
	in  *bufio.Reader
	out io.Writer
}

var errNoAnswer = errors.New("setup: standard input ended before every question was answered")

func (p *prompter) line(q string) (string, error) {
	fmt.Fprint(p.out, q)
	s, err := p.in.ReadString('\n')
	if s == "" && err != nil {
		return "", errNoAnswer
	}
	return strings.TrimSpace(s), nil
}

// region asks for the root region: a 6-digit code, or part of a name to
// list the divisions of the embedded GB/T 2260 table that match.
func (p *prompter) region() (string, error) {
	for {
		a, err := p.line("本地区（6 位区划代码，或输入名称查找）Region (6-digit code, or part of a name to search): ")
		if err != nil {
			return "", err
		}
		if _, err := catalog.CheckRoot(a); err == nil {
			fmt.Fprintf(p.out, "  → %s %s\n", a, divisionPath(a))
			return a, nil
		}
		found := codes.SearchDivisions(a, 12)
		if len(found) == 0 {
			fmt.Fprintln(p.out, "  未找到 Not found.")
		}
		for _, c := range found {
			fmt.Fprintf(p.out, "  %s %s\n", c, divisionPath(c))
		}
	}
}

// divisionPath names a 6-digit division with its province and prefecture
// (several counties share a name: 鼓楼区), leaving out placeholders (市辖区).
func divisionPath(code string) string {
	parts := []string{}
	for _, c := range []string{code[:2] + "0000", code[:4] + "00", code} {
		n, ok := codes.DivisionName(c)
		if !ok || (len(parts) > 0 && parts[len(parts)-1] == n) || strings.HasSuffix(codes.DivisionFullName(c), "市辖区") ||
			n == "县" || strings.HasSuffix(n, "直辖县级行政区划") {
			continue
		}
		parts = append(parts, n)
	}
	return strings.Join(parts, " ")
}

// password asks twice; on a terminal (tty not nil) without echo.
func (p *prompter) password(tty *os.File) (string, error) {
	read := func(q string) (string, error) {
		fmt.Fprint(p.out, q)
		if tty != nil {
			defer noEcho(tty)()
			defer fmt.Fprintln(p.out)
		}
		s, err := p.in.ReadString('\n')
		if s == "" && err != nil {
			return "", errNoAnswer
		}
		return strings.TrimRight(s, "\r\n"), nil
	}
	for {
		a, err := read(fmt.Sprintf("管理员密码（至少 %d 个字符）Administrator's password (at least %d characters): ", identity.MinPasswordLength, identity.MinPasswordLength))
		if err != nil {
			return "", err
		}
		if err := identity.CheckPasswordPolicy(a, false); err != nil {
			fmt.Fprintf(p.out, "  密码太短或不可用 Too short or not allowed.\n")
			continue
		}
		b, err := read("再输入一次 Again: ")
		if err != nil {
			return "", err
		}
		if a == b {
			return a, nil
		}
		fmt.Fprintln(p.out, "  两次输入不一致 They differ.")
	}
}
